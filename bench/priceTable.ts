import fs from 'node:fs';
import path from 'node:path';

/** bench/prices.json: the dated price table every cost figure is computed from. */
export interface PriceTable {
  date: string;
  dateNote: string;
  region: string;
  currency: string;
  apiGateway: { restApiRequestsPerMillion: number; source: string };
  lambda: { requestsPerMillion: number; arm64GbSecond: number; durationRoundingMs: number; source: string };
  sqs: { standardRequestsPerMillion: number; chunkBytes: number; source: string };
  dynamoDb: {
    onDemandWriteRequestUnitsPerMillion: number;
    onDemandReadRequestUnitsPerMillion: number;
    transactionalFactor: number;
    source: string;
  };
  cloudWatchLogs: { ingestionPerGb: number; source: string };
}

export const PRICES_FILE = path.join(__dirname, 'prices.json');

/** Reads and sanity-checks the price table: every price a positive number, a date, a source per service. */
export function loadPrices(file = PRICES_FILE): PriceTable {
  const prices = JSON.parse(fs.readFileSync(file, 'utf8')) as PriceTable;
  if (!/^\d{4}-\d{2}-\d{2}$/.test(prices.date)) throw new Error(`${file}: "date" must be YYYY-MM-DD`);
  const numbers: [string, number][] = [
    ['apiGateway.restApiRequestsPerMillion', prices.apiGateway?.restApiRequestsPerMillion],
    ['lambda.requestsPerMillion', prices.lambda?.requestsPerMillion],
    ['lambda.arm64GbSecond', prices.lambda?.arm64GbSecond],
    ['sqs.standardRequestsPerMillion', prices.sqs?.standardRequestsPerMillion],
    ['dynamoDb.onDemandWriteRequestUnitsPerMillion', prices.dynamoDb?.onDemandWriteRequestUnitsPerMillion],
    ['dynamoDb.onDemandReadRequestUnitsPerMillion', prices.dynamoDb?.onDemandReadRequestUnitsPerMillion],
  ];
  for (const [name, value] of numbers) {
    if (typeof value !== 'number' || !(value > 0)) throw new Error(`${file}: ${name} must be a positive number`);
  }
  if (!Number.isInteger(prices.sqs.chunkBytes) || !(prices.sqs.chunkBytes > 0))
    throw new Error(`${file}: sqs.chunkBytes must be a positive whole number of bytes (the payload chunk billed as one request)`);
  for (const service of ['apiGateway', 'lambda', 'sqs', 'dynamoDb'] as const) {
    if (!/^https:\/\//.test(prices[service].source)) throw new Error(`${file}: ${service}.source must be the pricing page URL`);
  }
  return prices;
}
