import { ApiError, InvalidInputError, type SubmitBody } from './api';
import type { AppContext, View } from './context';
import { button, el, replace } from './dom';
import { generateTaskId, groupProblems, type FormField } from './fieldErrors';

const EXAMPLES: [string, unknown][] = [
  ['Succeeds', { simulate: 'succeed', order: 42 }],
  ['Fails every attempt', { simulate: 'fail' }],
  ['Fails attempt 1, then succeeds', { simulate: { failOnAttempts: [1] } }],
];

/** The submit form: taskId (typed or generated), the optional type, the payload as JSON; the API's 400 shown by its field. */
export function submitView(ctx: AppContext): View {
  const fields: FormField[] = ['taskId', 'payload', ...(ctx.caps.taskType ? (['type'] as const) : [])];
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
  const controls: Partial<Record<FormField, HTMLInputElement | HTMLTextAreaElement | HTMLSelectElement>> = { taskId, payload, type };
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
    submit.disabled = true;
    try {
      const { created, task } = await ctx.client.submitTask(body);
      ctx.navigate({ view: 'task', taskId: task.taskId });
      ctx.notify(
        created ? `Submitted ${task.taskId} (202): the task is queued.` : `${task.taskId} was already submitted with this payload (200).`,
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
    'section',
    { class: 'submit-view', 'aria-labelledby': 'submit-title' },
    el('h2', { id: 'submit-title' }, 'Submit a task'),
    form,
  );
  return { element, stop: () => undefined };
}
