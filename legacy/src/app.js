'use strict';

// The Express application: middleware, the API routers under /api, one error handler.

const cors = require('cors');
const express = require('express');
const morgan = require('morgan');
const { bodyErrorHandler, errorHandler } = require('./errors');

morgan.token('request-id', (req) => req.get('X-Request-Id') || '-');
const LOG_FORMAT =
  ':remote-addr :method :url :status :res[content-length] - :response-time ms :request-id';

function createApp({ config, db }) {
  const app = express();
  app.locals.config = config;
  app.locals.db = db;

  app.use(morgan(LOG_FORMAT));
  app.use(cors());
  app.use(express.json());
  app.use(bodyErrorHandler);

  const api = express.Router();
  api.use(require('./routes/users'));
  api.use(require('./routes/profiles'));
  api.use(require('./routes/articles').router);
  api.use(require('./routes/comments'));
  api.use(require('./routes/tags'));
  app.use('/api', api);

  app.use(errorHandler);
  return app;
}

module.exports = { createApp };
