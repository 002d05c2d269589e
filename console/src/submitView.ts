import { ApiError, InvalidInputError, type SubmitBody } from './api';
import { bulkSubmitPanel } from './bulkView';
import type { AppContext, View } from './context';
import { button, el, replace } from './dom';
import { generateTaskId, groupProblems, type FormField } from './fieldErrors';
import { formatTime, relativeTime } from './format';

const EXAMPLES: [string, unknown][] = [
  ['Succeeds', { simulate: 'succeed', order: 42 }],
  ['Fails every attempt', { simulate: 'fail' }],
  ['Fails attempt 1, then succeeds', { simulate: { failOnAttempts: [1] } }],
];

/**
 * The submit form: taskId (typed or generated), the optional type and delayed start, the payload as
 * JSON; the API's 400 shown by its field. Below it "Submit many", when the API has POST /tasks/batch.
 */
export function submitView(ctx: AppContext): View {
  const delayCaps = ctx.caps.delaySeconds;
  const fields: FormField[] = [
    'taskId',
    'payload',
    ...(ctx.caps.taskType ? (['type'] as const) : []),
    ...(delayCaps ? (['delaySeconds'] as const) : []),
  ];
  const errorOf = (field: FormField) =>
    el('p', { id: `f-${field}-error`, class: 'field-error', hidden: true, role: field === 'form' ? 'alert' : null });
  const errors = new Map<FormField, HTMLElement>([...fields, 'form' as const].map((field) => [field, errorOf(field)]));

  const taskId = el('input', {
    id: 'f-taskId',
    name: 'taskId',
    required: true,
    autocomplete: 'off',
    spellcheck: 'false',
    'aria-describedby': 'f-taskId-hint f-taskId-error',
    value: generateTaskId(new Date(ctx.clock.now()), Math.random),
  });
  const payload = el(
    'textarea',
    { id: 'f-payload', name: 'payload', rows: 10, spellcheck: 'false', 'aria-describedby': 'f-payload-hint f-payload-error' },
    '{\n  "simulate": "succeed"\n}',
  );
  const type = ctx.caps.taskType
    ? ctx.caps.taskType.values
      ? el(
          'select',
          { id: 'f-type', name: 'type', 'aria-describedby': 'f-type-hint f-type-error' },
          el('option', { value: '' }, `(default${ctx.caps.taskType.default ? `: ${ctx.caps.taskType.default}` : ''})`),
          ...ctx.caps.taskType.values.map((value) => el('option', { value }, value)),
        )
      : el('input', { id: 'f-type', name: 'type', autocomplete: 'off', 'aria-describedby': 'f-type-hint f-type-error' })
    : undefined;
  // Bounds as hints to the browser only: with the form's novalidate, the API judges the value (its 400 goes by the field).
  const delay = delayCaps
    ? el('input', {
        id: 'f-delaySeconds',
        name: 'delaySeconds',
        type: 'number',
        inputmode: 'numeric',
        step: 1,
        min: delayCaps.minimum,
        max: delayCaps.maximum,
        autocomplete: 'off',
        'aria-describedby': 'f-delaySeconds-hint f-delaySeconds-error',
      })
    : undefined;
  const delayBounds =
    delayCaps?.minimum !== undefined && delayCaps.maximum !== undefined ? `${delayCaps.minimum}-${delayCaps.maximum}` : '';
  const controls: Partial<Record<FormField, HTMLInputElement | HTMLTextAreaElement | HTMLSelectElement>> = {
    taskId,
    payload,
    type,
    delaySeconds: delay,
  };
  const submit = el('button', { type: 'submit', class: 'primary', id: 'f-submit' }, 'Submit');

  const clearErrors = () => {
    for (const [field, node] of errors) {
      node.hidden = true;
      replace(node);
      controls[field]?.removeAttribute('aria-invalid');
    }
  };
  const showErrors = (groups: Map<FormField, string[]>) => {
    let first: HTMLElement | undefined;
    for (const [field, lines] of groups) {
      const node = errors.get(field)!;
      node.hidden = false;
      replace(node, lines.join('; '));
      const control = controls[field];
      if (control) {
        control.setAttribute('aria-invalid', 'true');
        first ??= control;
      }
    }
    (first ?? errors.get('form'))?.focus();
  };

  const form = el(
    'form',
    { class: 'submit-form', novalidate: true, 'aria-labelledby': 'submit-title' },
    el(
      'div',
      { class: 'field' },
      el('label', { for: 'f-taskId' }, 'Task ID'),
      el(
        'div',
        { class: 'with-button' },
        taskId,
        button(
          'Generate',
          () => {
            taskId.value = generateTaskId(new Date(ctx.clock.now()), Math.random);
            taskId.focus();
          },
          { id: 'f-generate' },
        ),
      ),
      el(
        'p',
        { class: 'hint', id: 'f-taskId-hint' },
        '1-128 letters, digits and - _ . : (the same ID and payload again is the same task).',
      ),
      errors.get('taskId')!,
    ),
    type
      ? el(
          'div',
          { class: 'field' },
          el('label', { for: 'f-type' }, 'Type (optional)'),
          type,
          el('p', { class: 'hint', id: 'f-type-hint' }, 'Left empty, the API uses its default type.'),
          errors.get('type')!,
        )
      : null,
    delay
      ? el(
          'div',
          { class: 'field' },
          el('label', { for: 'f-delaySeconds' }, 'Delay (seconds, optional)'),
          delay,
          el(
            'p',
            { class: 'hint', id: 'f-delaySeconds-hint' },
            `${delayBounds ? `${delayBounds} s: ` : ''}the first attempt waits this long; left empty, it starts at once.`,
          ),
          errors.get('delaySeconds')!,
        )
      : null,
    el(
      'div',
      { class: 'field' },
      el('label', { for: 'f-payload' }, 'Payload (a JSON object)'),
      payload,
      el(
        'p',
        { class: 'hint', id: 'f-payload-hint' },
        'Examples: ',
        ...EXAMPLES.flatMap(([label, value], i) => [
          i > 0 ? ' · ' : '',
          button(
            label,
            () => {
              payload.value = JSON.stringify(value, null, 2);
              payload.focus();
            },
            { class: 'link' },
          ),
        ]),
      ),
      errors.get('payload')!,
    ),
    errors.get('form')!,
    el('div', { class: 'actions' }, submit),
  );

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    void send();
  });

  const send = async () => {
    clearErrors();
    let value: unknown;
    try {
      value = JSON.parse(payload.value);
    } catch (error) {
      showErrors(new Map([['payload', [`payload is not valid JSON: ${(error as Error).message}`]]]));
      return;
    }
    const body: SubmitBody = { taskId: taskId.value, payload: value };
    if (type && type.value !== '') body.type = type.value;
    if (delay?.validity.badInput) {
      // What the browser cannot hand over as a number (`1e`) never reaches the API; say so here.
      showErrors(new Map([['delaySeconds', [`delaySeconds is not a number${delayBounds ? ` (${delayBounds})` : ''}`]]]));
      return;
    }
    if (delay && delay.value.trim() !== '') body.delaySeconds = Number(delay.value);
    submit.disabled = true;
    try {
      const { created, task } = await ctx.client.submitTask(body);
      ctx.navigate({ view: 'task', taskId: task.taskId });
      const due = task.nextAttemptAt
        ? ` Its first attempt is due at ${formatTime(task.nextAttemptAt)} (${relativeTime(task.nextAttemptAt, ctx.clock.now())}).`
        : '';
      ctx.notify(
        created
          ? `Submitted ${task.taskId} (202): the task is queued.${due}`
          : `${task.taskId} was already submitted with this payload (200).`,
      );
    } catch (error) {
      if (ctx.handleError(error)) return;
      if (error instanceof InvalidInputError && error.fieldProblems.length > 0) showErrors(groupProblems(error.fieldProblems, fields));
      else if (error instanceof ApiError) showErrors(new Map([['form', [`${error.status} ${error.code}: ${error.message}`]]]));
      else showErrors(new Map([['form', [(error as Error).message]]]));
    } finally {
      submit.disabled = false;
    }
  };

  const element = el(
    'div',
    { class: 'submit-page' },
    el('section', { class: 'submit-view', 'aria-labelledby': 'submit-title' }, el('h2', { id: 'submit-title' }, 'Submit a task'), form),
    ctx.caps.canSubmitMany ? bulkSubmitPanel(ctx) : null,
  );
  return { element, stop: () => undefined };
}
