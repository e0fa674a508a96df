import { useEffect, useRef, useState } from "react";
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useNavigate } from "react-router";

import { api, projectPath } from "../../lib/api";
import type { Person } from "../../lib/types";
import { deletePersonPath, erasureSummary, jobFinished, jobStatusText, type ErasureJob } from "./erasure";

const POLL_MS = 500;

function JobProgress({ projectId, jobId }: { projectId: number; jobId: number }) {
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const job = useQuery({
    queryKey: ["erasure", projectId, jobId],
    queryFn: ({ signal }) => api<ErasureJob>(projectPath(projectId, `erasures/${jobId}/`), { signal }),
    refetchInterval: (query) => (query.state.data && jobFinished(query.state.data) ? false : POLL_MS),
  });
  const done = job.data?.status === "done";
  useEffect(() => {
    if (!done) return;
    void queryClient.invalidateQueries({ queryKey: ["persons", projectId] });
    void queryClient.invalidateQueries({ queryKey: ["person-page", projectId] });
    void navigate("/persons", { state: { erased: jobId } });
  }, [done, navigate, jobId, projectId, queryClient]);
  if (job.error) return <p role="alert" className="error">Could not read the erasure's progress: {job.error.message}</p>;
  if (!job.data) return <p role="status">Starting the erasure…</p>;
  return (
    <div className="erasure-progress">
      <progress max={1} value={job.data.progress} aria-label="Erasure progress" />
      <p role="status">{jobStatusText(job.data)}</p>
    </div>
  );
}

/** "Delete person": a confirmation dialog naming what will go, then the job's progress;
 * back to the persons list when it is done. */
export function DeletePerson({ projectId, person, name }: { projectId: number; person: Person; name: string }) {
  const dialog = useRef<HTMLDialogElement>(null);
  const [deleteEvents, setDeleteEvents] = useState(false);
  const [jobId, setJobId] = useState<number | null>(null);
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<string | null>(null);

  async function erase() {
    setBusy(true);
    setProblem(null);
    try {
      const path = projectPath(projectId, deletePersonPath(person, deleteEvents));
      const job = await api<ErasureJob>(path, { method: "DELETE" });
      setJobId(job.id);
    } catch (error) {
      setProblem(error instanceof Error ? error.message : String(error));
    } finally {
      setBusy(false);
    }
  }

  return (
    <>
      <button type="button" className="danger" onClick={() => dialog.current?.showModal()}>
        Delete person
      </button>
      <dialog ref={dialog} className="erase-dialog" aria-labelledby="erase-title">
        <h2 id="erase-title">Delete this person?</h2>
        <p>{erasureSummary(name, person, deleteEvents)}</p>
        <ul className="distinct-ids" aria-label="Distinct IDs that will be deleted">
          {person.distinct_ids.map((distinctId) => (
            <li key={distinctId}>{distinctId}</li>
          ))}
        </ul>
        {jobId === null ? (
          <>
            <label className="erase-events">
              <input
                type="checkbox"
                checked={deleteEvents}
                onChange={(event) => setDeleteEvents(event.target.checked)}
              />
              Also delete all of their events
            </label>
            <p className="muted">This cannot be undone. A new event from one of these distinct IDs later makes a new person.</p>
            {problem && (
              <p role="alert" className="error">
                Could not delete the person: {problem}
              </p>
            )}
            <div className="form-actions">
              <button type="button" className="danger confirm-erase" disabled={busy} onClick={() => void erase()}>
                {busy ? "Deleting…" : "Delete person"}
              </button>
              <button type="button" className="secondary" onClick={() => dialog.current?.close()}>
                Cancel
              </button>
            </div>
          </>
        ) : (
          <JobProgress projectId={projectId} jobId={jobId} />
        )}
      </dialog>
    </>
  );
}
