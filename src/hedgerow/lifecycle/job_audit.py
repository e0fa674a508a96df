"""The audit log's entries for the system's own lifecycle work: an erasure job finished
(`erasure_finished`) and events deleted by the retention job (`retention_deleted`).

Both name no person: an erasure job's entry holds its id and counts (the request that started
it is the `person_erased` entry, with the person's id), a retention run's the period, the
cutoff and how many events went. The actor is `system` for the server, `cli` when a command
(`hedgerow import`, which finishes a job a stopped server left) did the work.
"""

from __future__ import annotations

from collections.abc import Callable

from hedgerow.audit import Actor, AuditLog
from hedgerow.lifecycle.jobs import ErasureJob
from hedgerow.lifecycle.retention import RetentionRun
from hedgerow.projects import DEFAULT_ORGANIZATION, Project, ProjectCatalog


def erasure_finished(
    log: AuditLog, catalog: ProjectCatalog, actor: Actor
) -> Callable[[ErasureJob], None]:
    """`ErasureRunner`'s `on_finished`: one entry per finished job."""

    def record(job: ErasureJob) -> None:
        project = catalog.by_id(job.team_id)
        log.record(
            actor,
            "erasure_finished",
            "ErasureJob",
            job.id,
            project_id=job.team_id,
            organization_id=project.organization_id if project else DEFAULT_ORGANIZATION,
            persons=job.persons,
            distinct_ids=job.distinct_ids,
            delete_events=job.delete_events,
            events_deleted=job.events_deleted,
            seconds=round((job.finished_at or job.created_at) - job.created_at, 3),
        )

    return record


def retention_deleted(log: AuditLog, actor: Actor) -> Callable[[Project, RetentionRun], None]:
    """`RetentionRunner`'s `on_deleted`: one entry per project and run that deleted events
    (a run that found nothing past the period records nothing: it runs every hour)."""

    def record(project: Project, run: RetentionRun) -> None:
        log.record(
            actor,
            "retention_deleted",
            "Project",
            project.id,
            project_id=project.id,
            organization_id=project.organization_id,
            retention_days=project.retention_days,
            cutoff=run.cutoff,
            events_deleted=run.deleted,
        )

    return record
