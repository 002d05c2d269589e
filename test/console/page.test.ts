import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { fieldOf, generateTaskId, groupProblems } from '../../console/src/fieldErrors';
import { formatDuration, relativeTime } from '../../console/src/format';
import { parseRoute, routeHash } from '../../console/src/router';
import { Session, defaultBaseUrl } from '../../console/src/session';
import { TASK_ID_PATTERN } from '../../lib/domain/taskId';

const STATUSES = ['QUEUED', 'FAILED'];

describe('console page logic', () => {
  describe('routes (the URL fragment)', () => {
    it('round-trips a status tab, a task (any taskId, encoded) and the submit form', () => {
      for (const route of [{ view: 'list', status: 'QUEUED' }, { view: 'task', taskId: 'order:42.a_b-c' }, { view: 'submit' }] as const) {
        expect(parseRoute(routeHash(route), STATUSES, 'FAILED')).to.deep.equal(route);
      }
      expect(routeHash({ view: 'task', taskId: 'a:b' })).to.equal('#/task/a%3Ab');
    });

    it('falls back to the default tab for anything else', () => {
      for (const hash of ['', '#', '#/tasks/DONE', '#/task/', '#/task/%E0%A4%A', '#/nope']) {
        expect(parseRoute(hash, STATUSES, 'FAILED'), hash).to.deep.equal({ view: 'list', status: 'FAILED' });
      }
    });
  });

  describe('session', () => {
    const store = () => {
      const map = new Map<string, string>();
      return {
        map,
        getItem: (k: string) => map.get(k) ?? null,
        setItem: (k: string, v: string) => map.set(k, v),
        removeItem: (k: string) => map.delete(k),
      };
    };

    it('takes the API base URL from the page: its origin and stage path, without /console', () => {
      expect(defaultBaseUrl('http://127.0.0.1:3000/console')).to.equal('http://127.0.0.1:3000');
      expect(defaultBaseUrl('http://127.0.0.1:3000/console#/task/a')).to.equal('http://127.0.0.1:3000');
      expect(defaultBaseUrl('https://abc.execute-api.us-east-1.amazonaws.com/dev/console')).to.equal(
        'https://abc.execute-api.us-east-1.amazonaws.com/dev',
      );
    });

    it('keeps the key in the store it is given and forgets it on request; a default base URL is not stored', () => {
      const s = store();
      const session = new Session(s, 'http://127.0.0.1:3000');

      session.connect('the-key', 'http://127.0.0.1:3000/');
      expect([session.apiKey, session.baseUrl, [...s.map.keys()]]).to.deep.equal([
        'the-key',
        'http://127.0.0.1:3000',
        ['task-pipeline.console.apiKey'],
      ]);
      session.forget();
      expect(session.apiKey).to.equal(undefined);
    });
  });

  describe('submit form', () => {
    it('puts each problem of a 400 next to the control its field names', () => {
      const fields = ['taskId', 'payload'] as const;
      const groups = groupProblems(
        [
          { field: 'taskId', problem: 'is required' },
          { field: 'payload.a[0].__proto__', problem: "key '__proto__' is not allowed" },
          { field: 'payload', problem: 'must be a JSON object, got array' },
          { field: 'body', problem: 'is empty' },
          { field: 'type', problem: 'is not a known field' },
        ],
        fields,
      );

      expect(Object.fromEntries(groups)).to.deep.equal({
        taskId: ['taskId is required'],
        payload: ["payload.a[0].__proto__ key '__proto__' is not allowed", 'payload must be a JSON object, got array'],
        form: ['body is empty', 'type is not a known field'],
      });
      expect(fieldOf('type', ['taskId', 'payload', 'type'])).to.equal('type');
      expect(fieldOf('delaySeconds', ['taskId', 'payload', 'delaySeconds'])).to.equal('delaySeconds');
      expect(fieldOf('delaySeconds', fields), 'no delay field on the form').to.equal('form');
      expect(fieldOf('payloads', fields)).to.equal('form');
    });

    it('generates taskIds the API accepts', () => {
      const id = generateTaskId(new Date(2026, 10, 30, 9, 5, 7), () => 0.999);

      expect(id).to.equal('task-20261130-090507-9999');
      expect(id).to.match(TASK_ID_PATTERN);
    });
  });

  describe('formatting', () => {
    it('says durations the way a person does', () => {
      expect([120, 1500, 12_400, 125_000, 3 * 3_600_000 + 600_000, 2 * 86_400_000].map(formatDuration)).to.deep.equal([
        '120 ms',
        '1.5 s',
        '12 s',
        '2 min 5 s',
        '3 h 10 min',
        '2 d',
      ]);
      expect(relativeTime('2026-11-30T09:00:00.000Z', Date.parse('2026-11-30T09:00:12.000Z'))).to.equal('12 s ago');
      expect([59_600, 599_600, 3_599_600].map(formatDuration), 'rounded up to the next minute, never 60 s').to.deep.equal([
        '1 min',
        '10 min',
        '1 h',
      ]);
    });
  });

  describe('safety', () => {
    const sources = fs
      .readdirSync(path.resolve(__dirname, '../../console/src'))
      .map((file) => [file, fs.readFileSync(path.resolve(__dirname, '../../console/src', file), 'utf8')]);

    it('never writes markup: no innerHTML, outerHTML, insertAdjacentHTML, document.write or eval in the console', () => {
      const found = sources.flatMap(([file, text]) =>
        [...text.matchAll(/\b(innerHTML|outerHTML|insertAdjacentHTML|document\.write|eval\s*\(|new Function)\b/g)].map(
          (m) => `${file}: ${m[1]}`,
        ),
      );
      expect(found).to.deep.equal([]);
    });

    it('keeps the key in sessionStorage only: no localStorage, cookie or key in a URL', () => {
      const found = sources.flatMap(([file, text]) =>
        [...text.matchAll(/\b(localStorage|document\.cookie|indexedDB)\b/g)].map((m) => `${file}: ${m[1]}`),
      );
      expect(found).to.deep.equal([]);
    });
  });
});
