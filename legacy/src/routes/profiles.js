'use strict';

// Profiles and following.

const express = require('express');
const { optionalAuth, requireAuth } = require('../auth');
const { notFound, unprocessable } = require('../errors');
const users = require('../store/users');
const views = require('../views');

const router = express.Router();

async function findProfileUser(req) {
  const user = await users.findByUsername(req.app.locals.db, req.params.username);
  if (!user) throw notFound('profile');
  return user;
}

const isSelf = (req, user) => req.user !== null && req.user.id === user.id;

router.get('/profiles/:username', optionalAuth, async (req, res) => {
  const { db } = req.app.locals;
  const user = await findProfileUser(req);
  const following = !isSelf(req, user) && (await users.isFollowing(db, req.user?.id, user.id));
  res.json({ profile: views.profile(user, following) });
});

router.post('/profiles/:username/follow', requireAuth, async (req, res) => {
  const { db } = req.app.locals;
  const user = await findProfileUser(req);
  if (isSelf(req, user)) throw unprocessable({ profile: ['cannot follow yourself'] });
  await users.follow(db, req.user.id, user.id);
  res.json({ profile: views.profile(user, true) });
});

router.delete('/profiles/:username/follow', requireAuth, async (req, res) => {
  const { db } = req.app.locals;
  const user = await findProfileUser(req);
  await users.unfollow(db, req.user.id, user.id);
  res.json({ profile: views.profile(user, false) });
});

module.exports = router;
