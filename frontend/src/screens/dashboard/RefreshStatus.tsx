import { exactTime, relativeTime } from "../../lib/time";
import { useNow } from "../../lib/useNow";

interface Props {
  /** The oldest tile result's `last_refresh`, or null before any arrived. */
  lastRefresh: string | null;
  progress: { done: number; total: number } | null;
  onRefresh: () => void;
  tileCount: number;
}

/** "Last updated 5 minutes ago" and Refresh, or "Refreshed 3 of 8" while refreshing. */
export function RefreshStatus({ lastRefresh, progress, onRefresh, tileCount }: Props) {
  const now = useNow(15_000);
  return (
    <div className="refresh-status">
      <span role="status">
        {progress ? (
          `Refreshed ${progress.done} of ${progress.total}`
        ) : lastRefresh ? (
          <>
            Last updated{" "}
            <time dateTime={lastRefresh} title={exactTime(lastRefresh)}>
              {relativeTime(lastRefresh, now)}
            </time>
          </>
        ) : null}
      </span>
      <button type="button" className="secondary" disabled={progress !== null || tileCount === 0} onClick={onRefresh}>
        Refresh
      </button>
    </div>
  );
}
