/** Which control of the submit form a `details[].field` of a 400 belongs to. */
export type FormField = 'taskId' | 'payload' | 'type' | 'delaySeconds' | 'form';

/**
 * `taskId` -> taskId, `payload` or a path into it (`payload.a[0]`) -> payload, `type` -> type,
 * `delaySeconds` -> delaySeconds; else the form as a whole.
 */
export function fieldOf(detailField: string, fields: readonly FormField[]): FormField {
  if (detailField === 'taskId' && fields.includes('taskId')) return 'taskId';
  if (/^payload(?:$|[.[])/.test(detailField) && fields.includes('payload')) return 'payload';
  if (detailField === 'type' && fields.includes('type')) return 'type';
  if (detailField === 'delaySeconds' && fields.includes('delaySeconds')) return 'delaySeconds';
  return 'form';
}

/** The problems of a 400 grouped by form control, each as `<field> <problem>` text. */
export function groupProblems(
  details: readonly { field: string; problem: string }[],
  fields: readonly FormField[],
): Map<FormField, string[]> {
  const groups = new Map<FormField, string[]>();
  for (const { field, problem } of details) {
    const target = fieldOf(field, fields);
    groups.set(target, [...(groups.get(target) ?? []), `${field} ${problem}`]);
  }
  return groups;
}

/** A fresh taskId: `task-20261130-090001-k3f9` (time of day and four random characters). */
export function generateTaskId(now: Date, random: () => number): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  const stamp = `${now.getFullYear()}${pad(now.getMonth() + 1)}${pad(now.getDate())}-${pad(now.getHours())}${pad(now.getMinutes())}${pad(now.getSeconds())}`;
  const suffix = Array.from({ length: 4 }, () => 'abcdefghijkmnpqrstuvwxyz23456789'[Math.floor(random() * 32)]).join('');
  return `task-${stamp}-${suffix}`;
}
