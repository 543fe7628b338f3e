'use strict';

// The one error shape of the API, {"errors": {"<field>": ["<message>"]}}, produced here.

class HttpError extends Error {
  constructor(status, errors) {
    super(`${status} ${JSON.stringify(errors)}`);
    this.status = status;
    this.errors = errors;
  }
}

const notFound = (field) => new HttpError(404, { [field]: ['not found'] });
const forbidden = (field) => new HttpError(403, { [field]: ['forbidden'] });
const unauthorized = (field, message) => new HttpError(401, { [field]: [message] });
const unprocessable = (errors) => new HttpError(422, errors);

// body-parser's error types, as the contract words them.
const BODY_ERRORS = {
  'entity.parse.failed': [400, 'is not valid JSON'],
  'entity.too.large': [413, 'is too large'],
  'encoding.unsupported': [415, 'has an unsupported content encoding'],
  'charset.unsupported': [415, 'has an unsupported charset'],
};

function asHttpError(err) {
  if (err instanceof HttpError) return err;
  if (typeof err.type === 'string' && err.status >= 400 && err.status < 500) {
    const [status, message] = BODY_ERRORS[err.type] || [400, 'could not be read'];
    return new HttpError(status, { body: [message] });
  }
  if (err instanceof URIError && err.status === 400) {
    // The router could not percent-decode a path parameter.
    return new HttpError(400, { path: ['is not valid percent-encoded UTF-8'] });
  }
  return null;
}

// Placed right after the body parser: an error it did not classify (a corrupt gzip stream, say)
// still means the body could not be read.
// eslint-disable-next-line no-unused-vars
function bodyErrorHandler(err, req, res, next) {
  next(err instanceof HttpError || typeof err.type === 'string'
    ? err
    : new HttpError(400, { body: ['could not be read'] }));
}

// eslint-disable-next-line no-unused-vars
function errorHandler(err, req, res, next) {
  let error = asHttpError(err);
  if (!error) {
    console.error(err.stack || err);
    error = new HttpError(500, { server: ['internal error'] });
  }
  if (error.status === 401) res.set('WWW-Authenticate', 'Token');
  res.status(error.status).json({ errors: error.errors });
}

module.exports = {
  HttpError, notFound, forbidden, unauthorized, unprocessable, bodyErrorHandler, errorHandler,
};
