import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { JOB_NAME_MAX_CHARS, JobError } from '../../control/jobs.ts';
import type { JobDesk } from '../../control/types.ts';
import { apiRegistry } from '../registry.ts';
import { actorOf, handOverAudit } from '../auth.ts';
import type { RouteDeps, RoutePluginOptions } from '../deps.ts';
import { ApiError, errorResponses } from '../errors.ts';
import { jobOut } from '../records.ts';
import { instantParam, isoTime, jobSchema } from '../schemas.ts';

// The data center's training jobs: its team submits them, the live planner fits them around the
// district's energy (LiveSystem.jobs, src/control/jobs.ts). The book checks what it is given and
// audits every submission and cancellation, refused ones too.

/** Job ids in paths: the store's identifier limit. */
export const JOB_ID_MAX_CHARS = 200;

const newJobSchema = z
  .strictObject({
    datacenterId: z
      .string()
      .min(1)
      .max(JOB_ID_MAX_CHARS)
      .register(apiRegistry, { description: 'the data center asset (district file id), e.g. dc-gpu' }),
    name: z.string().trim().min(1).max(JOB_NAME_MAX_CHARS),
    gpus: z
      .number()
      .int()
      .min(1)
      .register(apiRegistry, { description: "GPUs at once: 1 … the data center's training GPUs" }),
    gpuHours: z
      .number()
      .positive()
      .register(apiRegistry, { description: 'work at full GPU speed, GPU-hours' }),
    earliestStart: instantParam
      .optional()
      .register(apiRegistry, { description: 'not before this time (default: now)' }),
    deadline: instantParam,
    priority: z
      .number()
      .int()
      .min(Number.MIN_SAFE_INTEGER)
      .max(Number.MAX_SAFE_INTEGER)
      .optional()
      .register(apiRegistry, { description: 'higher goes first when not everything fits (default 0)' }),
    interruptible: z
      .boolean()
      .optional()
      .register(apiRegistry, { description: 'may be paused and resumed (default true)' }),
  })
  .register(apiRegistry, { id: 'NewDatacenterJob' });

const jobParams = z.object({ id: z.string().min(1).max(JOB_ID_MAX_CHARS) });

type Body = Partial<z.infer<typeof newJobSchema>> | undefined;

function bookOf(deps: RouteDeps): JobDesk {
  const book = deps.live.jobs;
  if (!book)
    throw new ApiError(
      'BITGRID_ERR_JOBS_UNAVAILABLE',
      'this live system keeps no book of training jobs, so jobs cannot be listed, submitted or cancelled here',
    );
  return book;
}

export const jobRoutes: FastifyPluginAsyncZod<RoutePluginOptions> = async (app, { deps }) => {
  app.get(
    '/jobs',
    {
      config: { access: 'viewer' },
      schema: {
        summary:
          "The data center's training jobs (unfinished and recently finished) with their planned intervals",
        tags: ['control'],
        response: {
          200: z.object({
            plannedAt: isoTime.nullable().register(apiRegistry, {
              description: 'when the live planner made its current plan; null: no plan yet',
            }),
            jobs: z.array(jobSchema),
          }),
          ...errorResponses(401, 403, 429, 503),
        },
      },
    },
    async () => {
      const book = bookOf(deps);
      const plan = book.plan();
      return {
        plannedAt: plan ? deps.iso(plan.madeMs) : null,
        jobs: book.list().map((j) => jobOut(j, plan, deps.iso)),
      };
    },
  );

  app.get(
    '/jobs/:id',
    {
      config: { access: 'viewer' },
      schema: {
        summary: 'One training job',
        tags: ['control'],
        params: jobParams,
        response: { 200: jobSchema, ...errorResponses(401, 403, 404, 429, 503) },
      },
    },
    async (req) => {
      const book = bookOf(deps);
      // Jobs finished long ago are in the store only.
      const job = book.get(req.params.id) ?? (await deps.store.getJob(req.params.id));
      if (!job) throw new ApiError('BITGRID_ERR_NOT_FOUND', `no job "${req.params.id}"`, 'id');
      return jobOut(job, book.plan(), deps.iso);
    },
  );

  app.post(
    '/jobs',
    {
      config: {
        access: 'operator',
        audit: { action: 'job.submit', target: (req) => (req.body as Body)?.datacenterId ?? 'jobs' },
      },
      schema: {
        summary:
          'Submit a training job (checked: known data center, GPUs, and that it can finish by its deadline)',
        tags: ['control'],
        body: newJobSchema,
        response: { 201: jobSchema, ...errorResponses(400, 401, 403, 415, 429, 503) },
      },
    },
    async (req, reply) => {
      const book = bookOf(deps);
      const b = req.body;
      const job = await handOverAudit(req, JobError, () =>
        book.submit(
          {
            datacenterId: b.datacenterId,
            name: b.name,
            gpus: b.gpus,
            gpuHours: b.gpuHours,
            ...(b.earliestStart !== undefined ? { earliestStartMs: b.earliestStart } : {}),
            deadlineMs: b.deadline,
            ...(b.priority !== undefined ? { priority: b.priority } : {}),
            ...(b.interruptible !== undefined ? { interruptible: b.interruptible } : {}),
          },
          actorOf(req),
        ),
      );
      return reply
        .code(201)
        .header('location', `/api/jobs/${encodeURIComponent(job.id)}`)
        .send(jobOut(job, book.plan(), deps.iso));
    },
  );

  app.delete(
    '/jobs/:id',
    {
      config: {
        access: 'operator',
        audit: { action: 'job.cancel', target: (req) => `job:${(req.params as { id?: string })?.id ?? ''}` },
      },
      schema: {
        summary: 'Cancel a queued or running training job',
        tags: ['control'],
        params: jobParams,
        response: { 200: jobSchema, ...errorResponses(401, 403, 404, 409, 429, 503) },
      },
    },
    async (req) => {
      const book = bookOf(deps);
      const job = await handOverAudit(req, JobError, () => book.cancel(req.params.id, actorOf(req)));
      return jobOut(job, book.plan(), deps.iso);
    },
  );
};
