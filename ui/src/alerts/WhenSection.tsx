/** "When it fires": the threshold, the window and how many windows in a row, written as a sentence. */
import { INTERVALS, THRESHOLD_LABELS, THRESHOLD_TYPES, type AlertForm } from '../alertForm';
import { Field, Options, ProblemNote } from '../ui/Field';
import { Section, type SectionProps } from './Section';

/** A number typed inline in the "When it fires" sentence; marked invalid while it has a problem. */
function NumberInput({
  label,
  value,
  problem,
  onChange,
  small = false,
}: {
  label: string;
  value: string;
  problem: string | undefined;
  onChange: (value: string) => void;
  small?: boolean;
}) {
  return (
    <input
      aria-label={label}
      inputMode={small ? 'numeric' : 'decimal'}
      className={small ? 'alert-number small' : 'alert-number'}
      value={value}
      onChange={(e) => onChange(e.target.value)}
      aria-invalid={problem ? true : undefined}
    />
  );
}

const WHEN_FIELDS = ['threshold_type', 'threshold', 'range.low', 'range.high', 'interval', 'windows'];

export function WhenSection({ form, set, problems }: Omit<SectionProps, 'lookups'>) {
  const isRange = form.threshold_type === 'outside_range' || form.threshold_type === 'inside_range';
  return (
    <Section title="When it fires">
      <div className="alert-when">
        <span>When the {form.kind === 'search' ? 'count' : 'value'} is</span>
        <select
          aria-label="Threshold type"
          value={form.threshold_type}
          onChange={(e) => set({ threshold_type: e.target.value as AlertForm['threshold_type'] })}
        >
          <Options items={THRESHOLD_TYPES[form.kind].map((type) => ({ value: type, label: THRESHOLD_LABELS[type] }))} />
        </select>
        {isRange ? (
          <>
            <NumberInput label="Low" value={form.low} problem={problems['range.low']} onChange={(low) => set({ low })} />
            <span>to</span>
            <NumberInput label="High" value={form.high} problem={problems['range.high']} onChange={(high) => set({ high })} />
          </>
        ) : (
          <NumberInput
            label="Threshold"
            value={form.threshold}
            problem={problems.threshold}
            onChange={(threshold) => set({ threshold })}
          />
        )}
        <span>in a window of</span>
        <select aria-label="Interval" value={form.interval} onChange={(e) => set({ interval: e.target.value as AlertForm['interval'] })}>
          <Options items={INTERVALS} />
        </select>
        <span>for</span>
        <NumberInput
          label="Consecutive windows"
          value={form.windows}
          problem={problems.windows}
          onChange={(windows) => set({ windows })}
          small
        />
        <span>consecutive window{form.windows === '1' ? '' : 's'}.</span>
      </div>
      {WHEN_FIELDS.map((field) => (
        <ProblemNote key={field} problem={problems[field]} />
      ))}
      <Field
        label="Group by (optional)"
        problem={problems.group_by}
        hint="One expression a line, up to 3: each group is checked on its own, e.g. ServiceName."
      >
        <textarea rows={2} value={form.group_by} onChange={(e) => set({ group_by: e.target.value })} />
      </Field>
    </Section>
  );
}
