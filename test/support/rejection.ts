/** The error a promise rejects with; throws (failing the test) if it fulfils. */
export async function rejectionOf(promise: unknown): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a rejection');
}
