import { Logger } from '@aws-lambda-powertools/logger';

/** The service's structured JSON logger; service name and level come from POWERTOOLS_* variables. */
export const logger = new Logger({ serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'task-pipeline' });

export type Log = Pick<Logger, 'debug' | 'info' | 'warn' | 'error'>;
