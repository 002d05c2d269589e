// Placeholder until the webhook branch lands (replaced by its implementation).
import type { TaskType } from './contract';

export function webhookType(_options: { allowLocalHttp: boolean }): TaskType {
  return { name: 'webhook', description: 'placeholder', handle: () => undefined };
}
