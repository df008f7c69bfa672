/** A command asked for something that does not exist (an unknown strategy name): exit code 2. */
export class UsageError extends Error {}
