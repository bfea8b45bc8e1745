/** "What to watch": a saved search, a query on a source, a dashboard tile or a series. */
import { AGGREGATIONS, withKind, type AlertForm, type Target } from '../alertForm';
import { Field, Options } from '../ui/Field';
import { chartTiles } from './lookups';
import { Section, type SectionProps } from './Section';

function Choice<T extends string>({
  name,
  value,
  options,
  onChange,
}: {
  name: string;
  value: T;
  options: { value: T; label: string }[];
  onChange: (value: T) => void;
}) {
  return (
    <div className="alert-choice" role="radiogroup" aria-label={name}>
      {options.map((option) => (
        <label key={option.value}>
          <input type="radio" name={name} checked={value === option.value} onChange={() => onChange(option.value)} />
          {option.label}
        </label>
      ))}
    </div>
  );
}

/** A "Choose…" select of things by id, for the pickers of a saved search, source, dashboard or tile. */
function Pick({
  value,
  items,
  onChange,
  disabled,
}: {
  value: string;
  items: { value: string | number; label: string }[];
  onChange: (value: string) => void;
  disabled?: boolean;
}) {
  return (
    <select value={value} onChange={(e) => onChange(e.target.value)} disabled={disabled}>
      <option value="">Choose…</option>
      <Options items={items} />
    </select>
  );
}

const TARGETS: Record<AlertForm['kind'], { value: Target; label: string }[]> = {
  search: [
    { value: 'saved', label: 'A saved search' },
    { value: 'inline', label: 'A query on a source' },
  ],
  chart: [
    { value: 'tile', label: 'A dashboard tile' },
    { value: 'series', label: 'A series on a source' },
  ],
};

export function WatchSection({
  form,
  set,
  setForm,
  problems,
  lookups,
}: SectionProps & { setForm: (change: (form: AlertForm) => AlertForm) => void }) {
  return (
    <Section title="What to watch">
      <Choice
        name="Alert kind"
        value={form.kind}
        options={[
          { value: 'search', label: 'Search: the number of matching rows' },
          { value: 'chart', label: 'Chart: the value of a series' },
        ]}
        onChange={(kind) => setForm((current) => withKind(current, kind))}
      />
      <Choice<Target> name="Target" value={form.target} options={TARGETS[form.kind]} onChange={(target) => set({ target })} />
      {form.target === 'saved' && (
        <Field
          label="Saved search"
          problem={problems.saved_search_id}
          hint={lookups.savedSearches.length === 0 ? 'No saved searches yet: save one on the Search page.' : undefined}
        >
          <Pick
            value={form.saved_search_id}
            items={lookups.savedSearches.map((one) => ({ value: one.id, label: one.name }))}
            onChange={(saved_search_id) => set({ saved_search_id })}
          />
        </Field>
      )}
      {(form.target === 'inline' || form.target === 'series') && (
        <Field label="Source" problem={problems.source_id}>
          <Pick
            value={form.source_id}
            items={lookups.sources.map((one) => ({ value: one.id, label: `${one.name} (${one.kind})` }))}
            onChange={(source_id) => set({ source_id })}
          />
        </Field>
      )}
      {form.target === 'inline' && <QueryFields form={form} set={set} problems={problems} />}
      {form.target === 'tile' && <TileFields form={form} set={set} problems={problems} lookups={lookups} />}
      {form.target === 'series' && <SeriesFields form={form} set={set} problems={problems} />}
    </Section>
  );
}

function QueryFields({ form, set, problems }: Omit<SectionProps, 'lookups'>) {
  return (
    <div className="alert-query">
      <Field label="Query" problem={problems.query} hint="Empty counts every row.">
        <input className="team-mono" value={form.query} onChange={(e) => set({ query: e.target.value })} placeholder="SeverityText:error" />
      </Field>
      <Field label="Language">
        <select value={form.language} onChange={(e) => set({ language: e.target.value as 'lucene' | 'sql' })}>
          <option value="lucene">search syntax</option>
          <option value="sql">SQL WHERE</option>
        </select>
      </Field>
    </div>
  );
}

function TileFields({ form, set, problems, lookups }: SectionProps) {
  return (
    <div className="team-grid">
      <Field label="Dashboard" problem={problems.dashboard_id} hint={lookups.dashboards.length === 0 ? 'No dashboards yet.' : undefined}>
        <Pick
          value={form.dashboard_id}
          items={lookups.dashboards.map((one) => ({ value: one.id, label: one.name }))}
          onChange={(dashboard_id) => set({ dashboard_id, tile_id: '' })}
        />
      </Field>
      <Field label="Tile" problem={problems.tile_id}>
        <Pick
          value={form.tile_id}
          items={chartTiles(lookups, form.dashboard_id).map((tile) => ({
            value: tile.id,
            label: `${tile.title || tile.id} (${tile.chart.display})`,
          }))}
          onChange={(tile_id) => set({ tile_id })}
          disabled={form.dashboard_id === ''}
        />
      </Field>
    </div>
  );
}

function SeriesFields({ form, set, problems }: Omit<SectionProps, 'lookups'>) {
  return (
    <div className="team-grid">
      <Field label="Aggregation">
        <select value={form.aggregation} onChange={(e) => set({ aggregation: e.target.value as AlertForm['aggregation'] })}>
          <Options items={AGGREGATIONS} />
        </select>
      </Field>
      <Field label="Field" problem={problems['series.field']} hint="Not needed for count.">
        <input className="team-mono" value={form.field} onChange={(e) => set({ field: e.target.value })} placeholder="Duration" />
      </Field>
      <Field label="Where" problem={problems['series.where']}>
        <input className="team-mono" value={form.where} onChange={(e) => set({ where: e.target.value })} />
      </Field>
    </div>
  );
}
