import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { parse } from 'yaml';
import { DEFAULT_CAPABILITIES, capabilitiesOf } from '../../console/src/capabilities';

const spec = parse(fs.readFileSync(path.resolve(__dirname, '../../openapi.yaml'), 'utf8'));

describe('console capabilities, read from the API description', () => {
  it("takes today's statuses from openapi.yaml, counts the unfinished ones, and finds the cancel route, the task types and the delay's bounds", () => {
    // Whether openapi.yaml has POST /tasks/batch yet is the next test's concern.
    const { canSubmitMany: _, ...caps } = capabilitiesOf(spec);

    expect(caps).to.deep.equal({
      statuses: ['QUEUED', 'PROCESSING', 'RETRY_SCHEDULED', 'SUCCEEDED', 'DEAD_LETTERED', 'FAILED', 'CANCELLED'],
      counted: ['QUEUED', 'PROCESSING', 'RETRY_SCHEDULED', 'DEAD_LETTERED'],
      canCancel: true,
      taskType: { values: ['simulated', 'webhook', 'wordCount'], default: 'simulated' },
      delaySeconds: { minimum: 0, maximum: 900 },
    });
  });

  it('shows a CANCELLED tab (uncounted), a cancel action, Submit many, a type and a delay field once the description has them', () => {
    const next = structuredClone(spec);
    next.components.schemas.TaskStatus.enum = next.components.schemas.TaskStatus.enum.filter((s: string) => s !== 'CANCELLED');
    delete next.paths['/tasks/{taskId}/cancel'];
    delete next.paths['/tasks/batch'];
    delete next.components.schemas.SubmitRequest.properties.type;
    delete next.components.schemas.SubmitRequest.properties.delaySeconds;
    const before = capabilitiesOf(next);
    expect(before).to.include({ canCancel: false, canSubmitMany: false });
    expect(before).to.not.have.any.keys('taskType', 'delaySeconds');
    next.components.schemas.TaskStatus.enum.push('CANCELLED');
    next.paths['/tasks/{taskId}/cancel'] = { post: { responses: {} } };
    next.paths['/tasks/batch'] = { post: { responses: {} } };
    next.components.schemas.SubmitRequest.properties.type = { type: 'string', enum: ['simulated', 'http'], default: 'simulated' };
    next.components.schemas.SubmitRequest.properties.delaySeconds = { type: 'integer', minimum: 0, maximum: 60 };

    const caps = capabilitiesOf(next);

    expect(caps.statuses.at(-1)).to.equal('CANCELLED');
    expect(caps.counted).to.not.include('CANCELLED');
    expect(caps.canCancel).to.equal(true);
    expect(caps.canSubmitMany).to.equal(true);
    expect(caps.delaySeconds).to.deep.equal({ minimum: 0, maximum: 60 });
    expect(caps.taskType).to.deep.equal({ values: ['simulated', 'http'], default: 'simulated' });
  });

  it("falls back to today's API when there is no description to read", () => {
    expect(capabilitiesOf(undefined)).to.equal(DEFAULT_CAPABILITIES);
    expect(capabilitiesOf({ openapi: '3.1.0' })).to.equal(DEFAULT_CAPABILITIES);
  });
});
