export { InputError, csvCell, formatInputReport, readCsv } from './csv.ts';
export type { InputIssue, InputReport } from './csv.ts';
export { readProfileCsv, PROFILE_COLUMNS, SERIES_COLUMNS, MAX_HOLD_HOURS } from './profile.ts';
export type { ProfileOptions } from './profile.ts';
export { readSessionLog, SESSION_COLUMNS } from './sessions.ts';
export { readJobTrace, JOB_COLUMNS } from './jobs.ts';
export { readBusBlocks, BLOCK_COLUMNS } from './blocks.ts';
