'use strict';

// JWT authentication: `Authorization: Token <jwt>`, HS256, payload {username, iat, exp, sub}.

const jwt = require('jsonwebtoken');
const { unauthorized } = require('./errors');
const users = require('./store/users');

function issueToken(config, user) {
  return jwt.sign({ username: user.username }, config.jwtSecret, {
    algorithm: 'HS256',
    expiresIn: config.jwtTtlSeconds,
    subject: String(user.id),
  });
}

function tokenFrom(header) {
  const parts = header.split(' ');
  if (parts.length !== 2 || parts[0].toLowerCase() !== 'token' || !parts[1]) {
    throw unauthorized('token', 'is malformed');
  }
  return parts[1];
}

function userIdFrom(config, token) {
  let payload;
  try {
    payload = jwt.verify(token, config.jwtSecret, { algorithms: ['HS256'] });
  } catch (err) {
    if (err instanceof jwt.TokenExpiredError) throw unauthorized('token', 'has expired');
    throw unauthorized('token', 'is invalid');
  }
  const valid =
    typeof payload === 'object' &&
    typeof payload.exp === 'number' &&
    typeof payload.sub === 'string' &&
    /^[0-9]+$/.test(payload.sub) &&
    Number(payload.sub) <= 2147483647;
  if (!valid) throw unauthorized('token', 'is invalid');
  return Number(payload.sub);
}

// Set req.user and req.token from the Authorization header; `required` refuses anonymous calls.
function authenticate(required) {
  return async (req, res, next) => {
    const header = req.get('Authorization');
    if (header === undefined) {
      if (required) throw unauthorized('token', 'is missing');
      req.user = null;
      return next();
    }
    const { config, db } = req.app.locals;
    const token = tokenFrom(header);
    const user = await users.findById(db, userIdFrom(config, token));
    if (!user) throw unauthorized('token', 'is invalid');
    req.user = user;
    req.token = token;
    return next();
  };
}

const requireAuth = authenticate(true);
const optionalAuth = authenticate(false);

module.exports = { issueToken, requireAuth, optionalAuth };
