// A date range picker's fields: a preset (or "Custom…") and, for a custom range, From and To
// (an absolute date or a relative one such as -7d). The caller keeps the state: the activity
// view applies each change, the dashboard keeps a draft until "Apply filters".

export const CUSTOM_CHOICE = "custom";

interface Props {
  /** (value, label) pairs; the value is what `choice` holds for that preset. */
  presets: [string, string][];
  choice: string;
  onChoose: (choice: string) => void;
  from: string | null | undefined;
  to: string | null | undefined;
  onFrom: (value: string) => void;
  onTo: (value: string) => void;
}

export function DateRangeFields({ presets, choice, onChoose, from, to, onFrom, onTo }: Props) {
  return (
    <>
      <label className="field inline">
        <span>Date range</span>
        <select value={choice} onChange={(e) => onChoose(e.target.value)}>
          {presets.map(([value, label]) => (
            <option key={value} value={value}>
              {label}
            </option>
          ))}
          <option value={CUSTOM_CHOICE}>Custom…</option>
        </select>
      </label>
      {choice === CUSTOM_CHOICE && (
        <>
          <label className="field inline">
            <span>From</span>
            <input placeholder="2026-11-01 or -7d" value={from ?? ""} onChange={(e) => onFrom(e.target.value)} />
          </label>
          <label className="field inline">
            <span>To</span>
            <input placeholder="now" value={to ?? ""} onChange={(e) => onTo(e.target.value)} />
          </label>
        </>
      )}
    </>
  );
}
