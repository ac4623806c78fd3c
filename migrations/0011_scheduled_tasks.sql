-- The workers' shared scheduler (workers/src/scheduler/): time-driven work as rows. A task is due
-- at `due_at`; a process claims due tasks with FOR UPDATE SKIP LOCKED and a lease, so any number
-- of replicas share the work and a row is run by one process at a time. A process that dies
-- holding a lease only delays its tasks until the lease ends.

create table scheduled_tasks (
    job          text        not null,
    task_key     text        not null,
    due_at       timestamptz not null,
    payload      jsonb       not null default '{}'::jsonb,
    attempts     integer     not null default 0,
    lease_id     uuid,
    lease_until  timestamptz,
    last_error   text,
    created_at   timestamptz not null default now(),
    primary key (job, task_key)
);
create index scheduled_tasks_due_idx on scheduled_tasks (job, due_at);
comment on table scheduled_tasks is
    'Time-driven worker tasks (expiry, fallback polls, periodic pulls): claimed when due with SKIP LOCKED and a lease.';
