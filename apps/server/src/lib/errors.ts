/**
 * The one error hierarchy of the server. Routes and services throw these; the error handler maps
 * them to HTTP. A 5xx's message is logged, never sent to the client.
 */
export class AppError extends Error {
  constructor(
    readonly statusCode: number,
    readonly code: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'AppError';
  }
}

export const badRequest = (code: string, message: string) => new AppError(400, code, message);
export const unauthorized = (message = 'authentication required') => new AppError(401, 'UNAUTHORIZED', message);
export const forbidden = (message = 'not allowed for your role') => new AppError(403, 'FORBIDDEN', message);
export const notFound = (what = 'resource') => new AppError(404, 'NOT_FOUND', `${what} not found`);
export const conflict = (code: string, message: string) => new AppError(409, code, message);
export const payloadTooLarge = (message: string) => new AppError(413, 'PAYLOAD_TOO_LARGE', message);
export const unsupportedMediaType = (message: string) => new AppError(415, 'UNSUPPORTED_MEDIA_TYPE', message);
export const notAcceptable = (message: string) => new AppError(406, 'NOT_ACCEPTABLE', message);
