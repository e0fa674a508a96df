import { chartSummary, dayLabel, type DayCount } from "./warningTypes";

const WIDTH = 150;
const HEIGHT = 28;

/** A bar per day, drawn from the counts; its text alternative says the total and the
 * busiest day, and each bar's tooltip its day and count. */
export function Sparkline({ days }: { days: DayCount[] }) {
  const highest = Math.max(1, ...days.map((day) => day.count));
  const step = WIDTH / Math.max(1, days.length);
  const summary = chartSummary(days);
  return (
    <svg
      className="sparkline"
      width={WIDTH}
      height={HEIGHT}
      viewBox={`0 0 ${WIDTH} ${HEIGHT}`}
      role="img"
      aria-label={summary}
    >
      <title>{summary}</title>
      {days.map((day, index) => {
        const height = day.count === 0 ? 1 : Math.max(2, (day.count / highest) * (HEIGHT - 2));
        return (
          <rect
            key={day.date}
            className={day.count === 0 ? "bar empty" : "bar"}
            x={index * step + 0.5}
            y={HEIGHT - height}
            width={Math.max(1, step - 1)}
            height={height}
          >
            <title>{`${dayLabel(day.date)}: ${day.count}`}</title>
          </rect>
        );
      })}
    </svg>
  );
}
