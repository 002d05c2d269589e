import { expect } from 'chai';
import { table } from '../../../tools/table';

describe('tools/table', () => {
  it('right-aligns the columns asked for, draws a rule under the header, and leaves no trailing spaces', () => {
    const text = table(
      ['component', 'units', 'US$'],
      [
        ['API Gateway', 1, '$3.500'],
        ['DynamoDB writes', 7.95, '$5'],
      ],
      { align: ['left', 'right', 'right'], rule: true },
    );

    expect(text.split('\n')).to.deep.equal([
      'component        units     US$',
      '---------------  -----  ------',
      'API Gateway          1  $3.500',
      'DynamoDB writes   7.95      $5',
    ]);
  });

  it('widens a column to its minimum width and trims a short last cell', () => {
    expect(table(['A', 'B'], [['x', '']], { minWidths: [4] })).to.equal('A     B\nx');
  });
});
