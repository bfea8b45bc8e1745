import { useState, type FormEvent } from 'react';
import { teamApi, type Connection, type SourceDetail } from '../teamApi';
import {
  CLICKSTACK_PRESETS,
  COLUMN_FIELDS,
  columnsToForm,
  KIND_FIELDS,
  METRIC_TYPES,
  problemField,
  REQUIRED_COLUMNS,
  sourceBody,
  type SourceForm,
} from '../teamLogic';
import type { SourceKind } from '../types';
import { Field, Options, ProblemNote, StrayProblems } from '../ui/Field';
import type { Problems } from '../ui/problems';
import { SaveCancel, useSave } from '../ui/saving';

const KINDS: SourceKind[] = ['log', 'trace', 'metric', 'session'];

function formOf(source: SourceDetail | null, connections: Connection[]): SourceForm {
  return {
    name: source?.name ?? '',
    kind: source?.kind ?? 'log',
    connection_id: String(source?.connection_id ?? connections[0]?.id ?? ''),
    database: source?.database ?? 'otel',
    table: source?.table ?? '',
    columns: source ? columnsToForm(source.columns) : {},
  };
}

/** The fields that show their own problem, for a source of this kind. */
function knownFields(kind: SourceKind): string[] {
  const columns = KIND_FIELDS[kind].map((key) => `columns.${key}`);
  return ['name', 'kind', 'connection_id', 'database', 'table', 'columns.metric_tables', ...columns];
}

/** Adds a source (`source` null) or changes one: where its rows are, and the expressions for its columns. */
export function SourceEditor({
  source,
  connections,
  onDone,
}: {
  source: SourceDetail | null;
  connections: Connection[];
  onDone: (saved: boolean) => void;
}) {
  const [form, setForm] = useState<SourceForm>(() => formOf(source, connections));
  const { problems, busy, save: send } = useSave();
  const set = (change: Partial<SourceForm>) => setForm((current) => ({ ...current, ...change }));
  const setColumn = (key: string, value: string) =>
    setForm((current) => ({ ...current, columns: { ...current.columns, [key]: value } }));

  function save(event: FormEvent) {
    event.preventDefault();
    void send(
      sourceBody(form),
      async (body) => {
        if (source === null) await teamApi.createSource(body);
        else await teamApi.changeSource(source.id, body);
        onDone(true);
      },
      problemField,
    );
  }

  const fillPreset = () => {
    const preset = CLICKSTACK_PRESETS[form.kind];
    setForm((current) => ({ ...current, table: current.table || preset.table, columns: { ...preset.columns } }));
  };

  return (
    <form className="team-form team-editor" onSubmit={save} aria-label="Source" noValidate>
      <h2>{source === null ? 'New source' : `Edit ${source.name}`}</h2>
      <div className="team-grid">
        <Field label="Name" problem={problems.name}>
          <input value={form.name} onChange={(e) => set({ name: e.target.value })} />
        </Field>
        <Field label="Kind" problem={problems.kind}>
          <select value={form.kind} onChange={(e) => set({ kind: e.target.value as SourceKind })}>
            <Options items={KINDS} />
          </select>
        </Field>
        <Field label="Connection" problem={problems.connection_id}>
          <select value={form.connection_id} onChange={(e) => set({ connection_id: e.target.value })}>
            <Options items={connections.map((one) => ({ value: one.id, label: one.name }))} />
          </select>
        </Field>
        <Field label="Database" problem={problems.database}>
          <input value={form.database} onChange={(e) => set({ database: e.target.value })} />
        </Field>
        <Field label={form.kind === 'metric' ? 'Table (main)' : 'Table'} problem={problems.table}>
          <input value={form.table} onChange={(e) => set({ table: e.target.value })} />
        </Field>
      </div>
      <h3>Column expressions</h3>
      <p className="muted small-print">
        ClickHouse expressions over the table's columns. Required for a {form.kind} source:{' '}
        {REQUIRED_COLUMNS[form.kind].join(', ')}.{' '}
        <button type="button" className="secondary small" onClick={fillPreset}>
          Fill in the OpenTelemetry collector's {form.kind} columns
        </button>
      </p>
      <ColumnFields form={form} problems={problems} onColumn={setColumn} />
      {form.kind === 'metric' && (
        <MetricTables form={form} problem={problems['columns.metric_tables']} onColumn={setColumn} />
      )}
      <StrayProblems problems={problems} known={knownFields(form.kind)} />
      <SaveCancel label="Save source" busy={busy} onCancel={() => onDone(false)} />
    </form>
  );
}

type ColumnProps = { form: SourceForm; onColumn: (key: string, value: string) => void };

/** The column expressions a source of the form's kind takes; required ones are starred. */
function ColumnFields({ form, problems, onColumn }: ColumnProps & { problems: Problems }) {
  const required = new Set(REQUIRED_COLUMNS[form.kind]);
  return (
    <div className="team-grid">
      {COLUMN_FIELDS.filter((field) => KIND_FIELDS[form.kind].includes(field.key)).map((field) => (
        <Field
          key={field.key}
          label={`${field.label}${required.has(field.key) ? ' *' : ''}`}
          hint={field.help}
          problem={problems[`columns.${field.key}`]}
        >
          <input
            className="team-mono"
            value={form.columns[field.key] ?? ''}
            onChange={(e) => onColumn(field.key, e.target.value)}
            aria-invalid={problems[`columns.${field.key}`] ? true : undefined}
          />
        </Field>
      ))}
    </div>
  );
}

/** A metric source's table for each metric type. */
function MetricTables({ form, problem, onColumn }: ColumnProps & { problem: string | undefined }) {
  return (
    <>
      <h3>Metric tables *</h3>
      <div className="team-grid">
        {METRIC_TYPES.map((type) => (
          <Field key={type} label={type.replace('_', ' ')}>
            <input
              className="team-mono"
              value={form.columns[`metric_tables.${type}`] ?? ''}
              onChange={(e) => onColumn(`metric_tables.${type}`, e.target.value)}
              placeholder={`otel_metrics_${type}`}
            />
          </Field>
        ))}
      </div>
      <ProblemNote problem={problem} />
    </>
  );
}
