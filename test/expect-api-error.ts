/** Shared by the API tests: a call that must fail with an ApiError of this code and message. */
import { expect } from 'vitest';
import { ApiError } from '../common/api/contract.js';

export async function expectApiError(p: Promise<unknown>, code: string, text: RegExp): Promise<ApiError> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ApiError);
  expect((err as ApiError).code).toBe(code);
  expect((err as ApiError).message).toMatch(text);
  return err as ApiError;
}

/** The ApiError a synchronous call throws (fails the test when it throws nothing, or something else). */
export function thrownApiError(fn: () => unknown): ApiError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(ApiError);
    return e as ApiError;
  }
  throw new Error('expected an ApiError');
}
