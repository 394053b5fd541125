// Persistent worker pool. The calling thread takes part in every job, so a pool of n threads
// starts n-1 workers, lazily, on the first parallel job.
#pragma once

namespace kiln {

using TaskFn = void (*)(void* ctx, long task);

// Runs fn(ctx, 0..ntasks-1) across the pool and returns when all tasks are done. Tasks are
// claimed dynamically, so a worker that wakes late only means the others take more tasks.
void pool_run(long ntasks, TaskFn fn, void* ctx);
int pool_threads();
void pool_set_threads(int n);

}  // namespace kiln
