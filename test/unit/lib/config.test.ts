import { expect } from 'chai';
import { loadConfig, type Config } from '../../../lib/config';
import { ConfigError } from '../../../lib/domain/errors';

type Env = Record<string, string | undefined>;

/** The variables a deployment always sets; everything optional left out. */
function requiredEnv(overrides: Env = {}): Env {
  return {
    STAGE: 'dev',
    TASKS_TABLE: 'tasks-dev',
    TASKS_QUEUE_URL: 'https://sqs.eu-west-1.amazonaws.com/123456789012/tasks-dev',
    DLQ_URL: 'https://sqs.eu-west-1.amazonaws.com/123456789012/tasks-dev-dlq',
    CURSOR_SIGNING_KEY: 'k'.repeat(48),
    ...overrides,
  };
}

/** The ConfigError loadConfig throws for env; fails the test when it throws nothing. */
function configErrorFor(env: Env): ConfigError {
  let config: Config | undefined;
  try {
    config = loadConfig(env);
  } catch (error) {
    expect(error).to.be.instanceOf(ConfigError);
    return error as ConfigError;
  }
  expect.fail(`expected a ConfigError, got ${JSON.stringify(config)}`);
}

describe('loadConfig', () => {
  describe('defaults', () => {
    it('fills every optional setting with its default when only the required variables are set', () => {
      const config = loadConfig(requiredEnv());

      expect(config).to.deep.include({
        stage: 'dev',
        tableName: 'tasks-dev',
        queueUrl: 'https://sqs.eu-west-1.amazonaws.com/123456789012/tasks-dev',
        dlqUrl: 'https://sqs.eu-west-1.amazonaws.com/123456789012/tasks-dev-dlq',
        failureRate: 0.3,
        maxAttempts: 3,
        backoff: { baseSeconds: 10, maxDelaySeconds: 900, jitter: 'none' },
        leaseSeconds: 30,
        allowSimulationOverride: false,
        maxBodyBytes: 240 * 1024,
        cursorSigningKey: 'k'.repeat(48),
        tracingEnabled: false,
        logLevel: 'INFO',
      });
    });

    it('names the metrics namespace after the service and the stage by default', () => {
      const config = loadConfig(requiredEnv({ STAGE: 'staging' }));

      expect(config).to.deep.include({ serviceName: 'task-pipeline', metricsNamespace: 'task-pipeline/staging' });
    });

    it('takes the service name and metrics namespace from the Powertools variables when set', () => {
      const named = loadConfig(requiredEnv({ POWERTOOLS_SERVICE_NAME: 'orders' }));
      const explicit = loadConfig(requiredEnv({ POWERTOOLS_SERVICE_NAME: 'orders', POWERTOOLS_METRICS_NAMESPACE: 'Custom/NS' }));

      expect(named).to.deep.include({ serviceName: 'orders', metricsNamespace: 'orders/dev' });
      expect(explicit.metricsNamespace).to.equal('Custom/NS');
    });

    it('treats empty optional variables as unset', () => {
      const config = loadConfig(requiredEnv({ FAILURE_RATE: '', BACKOFF_BASE_SECONDS: '', LEASE_SECONDS: '' }));

      expect(config).to.deep.include({ failureRate: 0.3, leaseSeconds: 30 });
      expect(config.backoff.baseSeconds).to.equal(10);
    });

    it('always allows 3 attempts (1 try + 2 retries), whatever the environment says', () => {
      const config = loadConfig(requiredEnv({ MAX_ATTEMPTS: '5' }));

      expect(config.maxAttempts).to.equal(3);
    });

    it('reads every optional setting from the environment', () => {
      const config = loadConfig(
        requiredEnv({
          FAILURE_RATE: '0.5',
          BACKOFF_BASE_SECONDS: '2',
          BACKOFF_JITTER: 'full',
          LEASE_SECONDS: '60',
          ALLOW_SIMULATION_OVERRIDE: 'true',
        }),
      );

      expect(config).to.deep.include({ failureRate: 0.5, leaseSeconds: 60, allowSimulationOverride: true });
      expect(config.backoff).to.deep.equal({ baseSeconds: 2, maxDelaySeconds: 900, jitter: 'full' });
    });
  });

  describe('required variables', () => {
    it('refuses a CURSOR_SIGNING_KEY shorter than 22 characters (128 bits), without printing it', () => {
      const error = configErrorFor(requiredEnv({ CURSOR_SIGNING_KEY: 'short-key' }));

      expect(error.message).to.equal('CURSOR_SIGNING_KEY must be at least 22 characters');
      expect(error.message).to.not.contain('short-key');
    });

    for (const name of ['STAGE', 'TASKS_TABLE', 'TASKS_QUEUE_URL', 'DLQ_URL', 'CURSOR_SIGNING_KEY']) {
      it(`refuses a missing ${name} and names it`, () => {
        const error = configErrorFor(requiredEnv({ [name]: undefined }));

        expect(error.message).to.equal(`environment variable ${name} is required`);
        expect(error.context).to.deep.equal({ name });
      });

      it(`refuses an empty ${name}`, () => {
        const error = configErrorFor(requiredEnv({ [name]: '' }));

        expect(error.message).to.contain(name);
      });

      it(`treats ${name}='[object Object]' (an unresolved CloudFormation reference offline) as missing`, () => {
        const error = configErrorFor(requiredEnv({ [name]: '[object Object]' }));

        expect(error.message).to.equal(`environment variable ${name} is required`);
      });
    }
  });

  describe('FAILURE_RATE', () => {
    for (const raw of ['0', '1', '0.3', '0.999']) {
      it(`accepts ${raw}`, () => {
        const config = loadConfig(requiredEnv({ FAILURE_RATE: raw }));

        expect(config.failureRate).to.equal(Number(raw));
      });
    }

    for (const raw of ['-0.01', '1.01', '30', 'abc', '30%', 'NaN', 'Infinity']) {
      it(`refuses '${raw}' and quotes it`, () => {
        const error = configErrorFor(requiredEnv({ FAILURE_RATE: raw }));

        expect(error.message).to.equal(`FAILURE_RATE must be a number in [0, 1], got '${raw}'`);
      });
    }

    it('refuses a whitespace-only value as non-numeric instead of reading it as 0', () => {
      const error = configErrorFor(requiredEnv({ FAILURE_RATE: '   ' }));

      expect(error.message).to.contain('FAILURE_RATE');
    });
  });

  describe('BACKOFF_BASE_SECONDS', () => {
    for (const raw of ['0', '1', '900']) {
      it(`accepts ${raw}`, () => {
        const config = loadConfig(requiredEnv({ BACKOFF_BASE_SECONDS: raw }));

        expect(config.backoff.baseSeconds).to.equal(Number(raw));
      });
    }

    for (const [what, raw] of [
      ['a fraction', '1.5'],
      ['a negative number', '-1'],
      ['above 900', '901'],
      ['text', 'ten'],
    ]) {
      it(`refuses ${what} ('${raw}')`, () => {
        const error = configErrorFor(requiredEnv({ BACKOFF_BASE_SECONDS: raw }));

        expect(error.message).to.equal(`BACKOFF_BASE_SECONDS must be an integer in [0, 900], got '${raw}'`);
      });
    }
  });

  describe('BACKOFF_JITTER', () => {
    for (const jitter of ['none', 'full'] as const) {
      it(`accepts '${jitter}'`, () => {
        const config = loadConfig(requiredEnv({ BACKOFF_JITTER: jitter }));

        expect(config.backoff.jitter).to.equal(jitter);
      });
    }

    for (const raw of ['equal', 'FULL', 'decorrelated', 'true']) {
      it(`refuses '${raw}'`, () => {
        const error = configErrorFor(requiredEnv({ BACKOFF_JITTER: raw }));

        expect(error.message).to.equal(`BACKOFF_JITTER must be 'none' or 'full', got '${raw}'`);
      });
    }
  });

  describe('LEASE_SECONDS', () => {
    for (const raw of ['0', '2.5', '43201']) {
      it(`refuses '${raw}'`, () => {
        const error = configErrorFor(requiredEnv({ LEASE_SECONDS: raw }));

        expect(error.message).to.contain('LEASE_SECONDS');
      });
    }
  });

  describe('index and retention', () => {
    it('shards the index 16 ways, indexes SUCCEEDED and keeps finished tasks 30 days by default', () => {
      expect(loadConfig(requiredEnv())).to.deep.include({ indexShards: 16, indexSucceeded: true, retentionDays: 30 });
    });

    it('reads INDEX_SHARDS, INDEX_SUCCEEDED and RETENTION_DAYS (0 keeps tasks forever)', () => {
      const config = loadConfig(requiredEnv({ INDEX_SHARDS: '256', INDEX_SUCCEEDED: 'FALSE', RETENTION_DAYS: '0' }));

      expect(config).to.deep.include({ indexShards: 256, indexSucceeded: false, retentionDays: 0 });
    });

    for (const [name, raw, text] of [
      ['INDEX_SHARDS', '0', "INDEX_SHARDS must be an integer in [1, 256], got '0'"],
      ['INDEX_SHARDS', '257', "INDEX_SHARDS must be an integer in [1, 256], got '257'"],
      ['INDEX_SHARDS', '2.5', "INDEX_SHARDS must be an integer in [1, 256], got '2.5'"],
      ['RETENTION_DAYS', '-1', "RETENTION_DAYS must be an integer in [0, 3650], got '-1'"],
      ['RETENTION_DAYS', '3651', "RETENTION_DAYS must be an integer in [0, 3650], got '3651'"],
      ['INDEX_SUCCEEDED', 'no', "INDEX_SUCCEEDED must be true or false, got 'no'"],
    ]) {
      it(`refuses ${name}='${raw}' and says what it takes`, () => {
        expect(configErrorFor(requiredEnv({ [name]: raw })).message).to.equal(text);
      });
    }
  });

  describe('ALLOW_SIMULATION_OVERRIDE', () => {
    it('accepts true in any case', () => {
      const config = loadConfig(requiredEnv({ ALLOW_SIMULATION_OVERRIDE: 'TRUE' }));

      expect(config.allowSimulationOverride).to.equal(true);
    });

    it('refuses a value other than true or false', () => {
      const error = configErrorFor(requiredEnv({ ALLOW_SIMULATION_OVERRIDE: 'yes' }));

      expect(error.message).to.contain('ALLOW_SIMULATION_OVERRIDE');
    });

    for (const stage of ['prod', 'production', 'PROD', 'Production', 'prd', 'live']) {
      it(`refuses to enable the override in production stage '${stage}'`, () => {
        const error = configErrorFor(requiredEnv({ STAGE: stage, ALLOW_SIMULATION_OVERRIDE: 'true' }));

        expect(error.message).to.equal(`ALLOW_SIMULATION_OVERRIDE must not be enabled in production stage '${stage}'`);
      });
    }

    for (const stage of ['dev', 'local', 'staging', 'product-demo']) {
      it(`allows the override in stage '${stage}'`, () => {
        const config = loadConfig(requiredEnv({ STAGE: stage, ALLOW_SIMULATION_OVERRIDE: 'true' }));

        expect(config.allowSimulationOverride).to.equal(true);
      });
    }

    it('reports the override in a production stage before a variable listed after it is found missing', () => {
      const error = configErrorFor(requiredEnv({ STAGE: 'prod', ALLOW_SIMULATION_OVERRIDE: 'true', TASKS_TABLE: undefined }));

      expect(error.message).to.equal("ALLOW_SIMULATION_OVERRIDE must not be enabled in production stage 'prod'");
    });

    it('loads a production stage with the override disabled', () => {
      const config = loadConfig(requiredEnv({ STAGE: 'prod', ALLOW_SIMULATION_OVERRIDE: 'false' }));

      expect(config).to.deep.include({ stage: 'prod', allowSimulationOverride: false });
    });
  });

  describe('POWERTOOLS_TRACE_ENABLED', () => {
    it('leaves tracing off when unset, as locally and in tests', () => {
      const config = loadConfig(requiredEnv());

      expect(config.tracingEnabled).to.equal(false);
    });

    for (const [raw, enabled] of [
      ['true', true],
      ['TRUE', true],
      ['false', false],
      ['False', false],
    ] as const) {
      it(`reads '${raw}' as ${enabled}`, () => {
        const config = loadConfig(requiredEnv({ POWERTOOLS_TRACE_ENABLED: raw }));

        expect(config.tracingEnabled).to.equal(enabled);
      });
    }

    for (const raw of ['1', 'yes', 'on']) {
      it(`refuses '${raw}' instead of guessing`, () => {
        const error = configErrorFor(requiredEnv({ POWERTOOLS_TRACE_ENABLED: raw }));

        expect(error.message).to.equal(`POWERTOOLS_TRACE_ENABLED must be true or false, got '${raw}'`);
      });
    }
  });

  describe('POWERTOOLS_LOG_LEVEL', () => {
    for (const [raw, level] of [
      ['DEBUG', 'DEBUG'],
      ['warn', 'WARN'],
      ['', 'INFO'],
    ] as const) {
      it(`reads '${raw}' as ${level}`, () => {
        expect(loadConfig(requiredEnv({ POWERTOOLS_LOG_LEVEL: raw })).logLevel).to.equal(level);
      });
    }

    it('refuses a level Powertools does not know, naming the ones it does', () => {
      const error = configErrorFor(requiredEnv({ POWERTOOLS_LOG_LEVEL: 'VERBOSE' }));

      expect(error.message).to.equal(
        "POWERTOOLS_LOG_LEVEL must be one of TRACE, DEBUG, INFO, WARN, ERROR, CRITICAL, SILENT, got 'VERBOSE'",
      );
    });
  });
});
