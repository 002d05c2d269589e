/**
 * serverless@3 makes the API Gateway deployment (ApiGatewayDeployment<instance id>, a new
 * logical id on every deploy) depend on the API's methods only. A gateway response takes
 * effect only with a deployment made after it exists, so on a first deploy CloudFormation
 * could create the deployment before the responses of `resources` and the stage would
 * answer API Gateway's own errors without them (serverless/serverless#6210). This plugin
 * adds every AWS::ApiGateway::GatewayResponse of the template to each deployment's DependsOn.
 */
class GatewayResponsesBeforeDeployment {
  constructor(serverless) {
    this.serverless = serverless;
    this.hooks = {
      // After `resources` are merged into the compiled template, before it is written.
      'after:aws:package:finalize:mergeCustomProviderResources': () => this.addDependencies(),
    };
  }

  addDependencies() {
    const resources = this.serverless.service.provider.compiledCloudFormationTemplate.Resources;
    const idsOf = (type) => Object.keys(resources).filter((id) => resources[id].Type === type);
    const responses = idsOf('AWS::ApiGateway::GatewayResponse');
    if (responses.length === 0) return;
    for (const id of idsOf('AWS::ApiGateway::Deployment')) {
      const dependsOn = resources[id].DependsOn;
      const current = dependsOn === undefined ? [] : [].concat(dependsOn);
      resources[id].DependsOn = [...new Set([...current, ...responses])];
    }
  }
}

module.exports = GatewayResponsesBeforeDeployment;
