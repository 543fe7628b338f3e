'use strict';

// Registration, login and the current user.

const express = require('express');
const { issueToken, requireAuth } = require('../auth');
const { unauthorized, unprocessable } = require('../errors');
const users = require('../store/users');
const { userView } = require('../views');
const {
  checkString, collectErrors, field, present, requireValid, stored, wrapper,
} = require('../validation');

const router = express.Router();
const PROFILE_FIELDS = ['email', 'username', 'password', 'bio', 'image'];

const tokenError = () => unauthorized('email or password', 'is invalid');

// Throw 422 for the unique fields other users hold; a concurrent insert is reported the same way.
async function ensureUnique(db, values, exceptId = null) {
  const taken = await users.takenFields(db, values, exceptId);
  if (taken.length > 0) {
    throw unprocessable(Object.fromEntries(taken.map((name) => [name, ['has already been taken']])));
  }
}

async function saving(db, write) {
  try {
    return await write();
  } catch (err) {
    const column = db.uniqueViolation(err);
    if (column === 'username' || column === 'email') {
      throw unprocessable({ [column]: ['has already been taken'] });
    }
    throw err;
  }
}

// Emails are compared and stored lower-cased; the rules apply to the lower-cased value.
const lowerEmail = (input) => {
  const email = field(input, 'email');
  return typeof email === 'string' ? { ...input, email: stored(email).toLowerCase() } : input;
};

router.post('/users', async (req, res) => {
  const { db, config } = req.app.locals;
  const input = lowerEmail(wrapper(req.body, 'user'));
  requireValid(collectErrors(input, ['username', 'email', 'password']));
  const values = { username: input.username, email: input.email, password: input.password };
  await ensureUnique(db, { username: values.username, email: values.email });
  values.password = stored(values.password);
  const user = await saving(db, () => users.create(db, values));
  res.status(201).json(userView(user, issueToken(config, user)));
});

router.post('/users/login', async (req, res) => {
  const { db, config } = req.app.locals;
  const input = wrapper(req.body, 'user');
  const errors = {};
  for (const name of ['email', 'password']) {
    const message = checkString(field(input, name), { required: true });
    if (message && message !== 'contains invalid characters') errors[name] = [message];
  }
  requireValid(errors);
  const email = stored(input.email).toLowerCase();
  const user = await users.findByEmail(db, email);
  if (!user || !(await users.checkPassword(stored(input.password), user.password_hash))) {
    throw tokenError();
  }
  res.json(userView(user, issueToken(config, user)));
});

router.get('/user', requireAuth, (req, res) => {
  res.json(userView(req.user, req.token));
});

router.put('/user', requireAuth, async (req, res) => {
  const { db } = req.app.locals;
  const input = lowerEmail(wrapper(req.body, 'user'));
  const fields = PROFILE_FIELDS.filter((name) => present(input, name));
  if (fields.length === 0) {
    throw unprocessable({ user: [`must contain at least one of: ${PROFILE_FIELDS.join(', ')}`] });
  }
  requireValid(collectErrors(input, fields));
  const changes = Object.fromEntries(fields.map((name) => [name, stored(input[name])]));
  await ensureUnique(db, { email: changes.email, username: changes.username }, req.user.id);
  const user = await saving(db, () => users.update(db, req.user.id, changes));
  res.json(userView(user, req.token));
});

module.exports = router;
