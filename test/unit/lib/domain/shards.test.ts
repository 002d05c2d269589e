import { expect } from 'chai';
import fc from 'fast-check';
import { mergeShards, shardKey, shardOf, type MergedPage, type ShardPosition, type ShardRead } from '../../../../lib/domain/shards';

interface Entry {
  id: string;
  at: number;
}

const newestFirst = (a: Entry, b: Entry) => b.at - a.at;

/** Shards held in memory, each newest first, read as DynamoDB reads a partition: strictly after a key. */
function shardsOf(entries: Entry[], shards: number): { read: ShardRead<Entry>; reads: number[] } {
  const byShard = Array.from({ length: shards }, (_, i) => entries.filter((e) => shardOf(e.id, shards) === i).sort(newestFirst));
  const reads: number[] = [];
  return {
    reads,
    read: async (shard, after, limit) => {
      reads.push(shard);
      const rest = byShard[shard].filter((e) => !after || e.at < after.at);
      return { entries: rest.slice(0, limit), done: rest.length <= limit };
    },
  };
}

/** Every page of a listing, following its positions to the end. */
async function allPages(entries: Entry[], shards: number, limit: number, keep: (e: Entry) => boolean = () => true) {
  const { read } = shardsOf(entries, shards);
  const pages: string[][] = [];
  let positions: ShardPosition<Entry>[] | undefined = Array.from({ length: shards }, () => 'start' as const);
  while (positions) {
    const page: MergedPage<Entry, string> = await mergeShards<Entry, string>({
      positions,
      limit,
      read,
      compare: newestFirst,
      resolve: async (batch) => batch.map((e) => (keep(e) ? e.id : undefined)),
    });
    pages.push(page.items);
    positions = page.positions;
    if (pages.length > entries.length + 2) throw new Error('the listing does not end');
  }
  return pages;
}

describe('shards', () => {
  describe('shardOf', () => {
    it('gives a task the same shard every time, within [0, shards)', () => {
      fc.assert(
        fc.property(fc.string({ minLength: 1, maxLength: 128 }), fc.integer({ min: 1, max: 256 }), (taskId, shards) => {
          const shard = shardOf(taskId, shards);
          expect(shard).to.equal(shardOf(taskId, shards));
          expect(shard).to.be.within(0, shards - 1);
        }),
      );
    });

    it('spreads 16,000 sequential taskIds over 16 shards within 10% of an even share', () => {
      const counts = new Array(16).fill(0);
      for (let i = 0; i < 16_000; i++) counts[shardOf(`order-${i}`, 16)] += 1;
      for (const count of counts) expect(count).to.be.within(900, 1100);
    });

    it('names the index partition key <phase>#<shard>', () => {
      expect(shardKey('UNFINISHED', 7)).to.equal('UNFINISHED#7');
    });
  });

  describe('mergeShards', () => {
    const entryArbitrary = fc.uniqueArray(
      fc.record({ id: fc.stringMatching(/^[a-z0-9]{1,8}$/), at: fc.integer({ min: 0, max: 1_000_000 }) }),
      { selector: (e) => e.at, maxLength: 60 },
    );

    it('pages through every shard as one list sorted newest first, every page but the last exactly full, for any insert order', async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.uniqueArray(fc.record({ id: fc.uuid(), at: fc.integer({ min: 0, max: 1_000_000 }) }), {
            selector: (e) => e.at,
            maxLength: 60,
          }),
          fc.integer({ min: 1, max: 9 }),
          fc.integer({ min: 1, max: 12 }),
          async (entries, shards, limit) => {
            const pages = await allPages(entries, shards, limit);

            expect(pages.flat()).to.deep.equal([...entries].sort(newestFirst).map((e) => e.id));
            for (const page of pages.slice(0, -1)) expect(page).to.have.length(limit);
            // No empty page after a full one: the last page holds something unless the listing is empty.
            if (entries.length > 0) expect(pages.at(-1)).to.not.be.empty;
          },
        ),
      );
    });

    it('keeps pages full when the listing skips entries (another status, expired), and ends with no empty page', async () => {
      await fc.assert(
        fc.asyncProperty(entryArbitrary, fc.integer({ min: 1, max: 6 }), fc.integer({ min: 1, max: 5 }), async (entries, shards, limit) => {
          const keep = (e: Entry) => e.at % 3 !== 0;
          const pages = await allPages(entries, shards, limit, keep);

          const expected = [...entries].sort(newestFirst).filter(keep);
          expect(pages.flat()).to.deep.equal(expected.map((e) => e.id));
          for (const page of pages.slice(0, -1)) expect(page).to.have.length(limit);
          if (expected.length > 0) expect(pages.at(-1)).to.not.be.empty;
        }),
      );
    });

    it('reads each shard once, in parallel, for a first page that every shard can fill', async () => {
      const entries = Array.from({ length: 40 }, (_, i) => ({ id: `t${i}`, at: i }));
      const { read, reads } = shardsOf(entries, 4);

      const page = await mergeShards<Entry, string>({
        positions: ['start', 'start', 'start', 'start'],
        limit: 3,
        read,
        compare: newestFirst,
        resolve: async (batch) => batch.map((e) => e.id),
      });

      expect(page.items).to.deep.equal(['t39', 't38', 't37']);
      expect(reads.sort()).to.deep.equal([0, 1, 2, 3]);
      expect(page.positions).to.have.length(4);
    });

    it('marks a shard read to its end as done, so the next page does not query it again', async () => {
      const entries = [
        { id: 'a', at: 3 },
        { id: 'b', at: 2 },
        { id: 'c', at: 1 },
      ];
      const first = await mergeShards<Entry, string>({
        positions: ['start'],
        limit: 2,
        read: shardsOf(entries, 1).read,
        compare: newestFirst,
        resolve: async (batch) => batch.map((e) => e.id),
      });
      const second = shardsOf(entries, 1);
      const next = await mergeShards<Entry, string>({
        positions: first.positions!,
        limit: 2,
        read: second.read,
        compare: newestFirst,
        resolve: async (batch) => batch.map((e) => e.id),
      });

      expect(first.items).to.deep.equal(['a', 'b']);
      expect(first.positions).to.deep.equal([{ after: { id: 'b', at: 2 } }]);
      expect(next).to.deep.equal({ items: ['c'] });
      expect(
        await mergeShards<Entry, string>({
          positions: ['done', 'done'],
          limit: 2,
          read: second.read,
          compare: newestFirst,
          resolve: async () => [],
        }),
      ).to.deep.equal({ items: [] });
      expect(second.reads).to.deep.equal([0]);
    });
  });
});
