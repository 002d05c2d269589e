import { expect } from 'chai';
import { UsageError, intOption, parseCommandLine } from '../../../tools/args';

describe('tools/args', () => {
  const options = { tasks: { type: 'string' }, quick: { type: 'boolean' } } as const;

  it('parses --name value, --name=value and flags', () => {
    const { values } = parseCommandLine({ args: ['--tasks', '20', '--quick'], options });
    const inline = parseCommandLine({ args: ['--tasks=30'], options });

    expect(values).to.deep.equal({ tasks: '20', quick: true });
    expect(inline.values.tasks).to.equal('30');
  });

  it("refuses an unknown option with a UsageError naming it, without node's hint about positionals", () => {
    let error: unknown;
    try {
      parseCommandLine({ args: ['--task', '20'], options });
    } catch (caught) {
      error = caught;
    }

    expect(error).to.be.instanceOf(UsageError);
    expect((error as Error).message).to.equal("Unknown option '--task'");
  });

  it('reads a bounded integer option, its fallback when absent, and names the option when it is out of bounds', () => {
    expect(intOption('tasks', '12', 200, 1)).to.equal(12);
    expect(intOption('tasks', undefined, 200, 1)).to.equal(200);
    expect(() => intOption('tasks', '0', 200, 1)).to.throw(UsageError, "--tasks must be an integer of at least 1, got '0'");
    expect(() => intOption('window', '2.5', 0, 0, 300)).to.throw(UsageError, "--window must be an integer from 0 to 300, got '2.5'");
  });
});
