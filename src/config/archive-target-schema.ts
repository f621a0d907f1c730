import { z } from 'zod';

/** `archiveTarget: { type: "filesystem", dir }`: today's local archive tier; `archiveDir` is its short form. */
export const filesystemTargetSchema = z.strictObject({
  type: z.literal('filesystem'),
  dir: z.string().min(1),
});

export const objectLockSchema = z.strictObject({
  mode: z.enum(['COMPLIANCE', 'GOVERNANCE']),
});

/**
 * `archiveTarget: { type: "s3", ... }`: the off-host archive in an S3 bucket (DESIGN 12). No credentials here:
 * they come from the standard AWS sources only.
 */
export const s3TargetSchema = z.strictObject({
  type: z.literal('s3'),
  endpoint: z.url({ protocol: /^https?$/ }).optional(),
  region: z.string().min(1).default('us-east-1'),
  bucket: z
    .string()
    .regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'an S3 bucket name (3-63 lower-case letters, digits, dots, dashes)'),
  prefix: z
    .string()
    .regex(/^[^\\]*$/, 'no backslash')
    .default(''),
  forcePathStyle: z.boolean().default(false),
  objectLock: objectLockSchema.optional(),
  keepLocalCopy: z.boolean().default(false),
  backlogCritDays: z.number().int().min(1).default(3),
  partSizeMib: z.number().int().min(5).max(1024).default(16),
  queueSize: z.number().int().min(1).max(16).default(4),
  maxAttempts: z.number().int().min(1).max(20).default(5),
  requestTimeoutSeconds: z.number().int().min(1).max(3600).default(60),
});

export const archiveTargetSchema = z.discriminatedUnion('type', [filesystemTargetSchema, s3TargetSchema]);

export type ArchiveTargetConfig = z.output<typeof archiveTargetSchema>;
export type S3TargetConfig = z.output<typeof s3TargetSchema>;
