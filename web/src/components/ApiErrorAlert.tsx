import { ApiError } from '../api.ts';

/** The first of `errors` the API answered with, as `CODE: message`; nothing when none is one. */
export function ApiErrorAlert({ errors }: { errors: unknown[] }) {
  const err = errors.find((e): e is ApiError => e instanceof ApiError);
  if (!err) return null;
  return (
    <p className="error" role="alert">
      {err.code}: {err.message}
    </p>
  );
}
