'use strict';

// Comments on an article.

const express = require('express');
const { optionalAuth, requireAuth } = require('../auth');
const { forbidden, notFound } = require('../errors');
const comments = require('../store/comments');
const views = require('../views');
const { collectErrors, requireValid, stored, wrapper } = require('../validation');
const { findArticle } = require('./articles');

const router = express.Router();

function commentId(value) {
  if (!/^[0-9]+$/.test(value)) return null;
  const id = Number(value);
  return id >= 1 && id <= 2147483647 ? id : null;
}

router.get('/articles/:slug/comments', optionalAuth, async (req, res) => {
  const { db } = req.app.locals;
  const article = await findArticle(req);
  const items = await comments.load(db, await comments.listForArticle(db, article.id), req.user?.id);
  res.json({ comments: items.map(views.comment) });
});

router.post('/articles/:slug/comments', requireAuth, async (req, res) => {
  const { db } = req.app.locals;
  const article = await findArticle(req);
  const input = wrapper(req.body, 'comment');
  requireValid(collectErrors(input, ['body']));
  const row = await comments.create(db, article.id, req.user.id, stored(input.body));
  const [item] = await comments.load(db, [row], req.user.id);
  res.json({ comment: views.comment(item) });
});

router.delete('/articles/:slug/comments/:id', requireAuth, async (req, res) => {
  const { db } = req.app.locals;
  const article = await findArticle(req);
  const id = commentId(req.params.id);
  const comment = id === null ? undefined : await comments.findOnArticle(db, article.id, id);
  if (!comment) throw notFound('comment');
  if (comment.author_id !== req.user.id) throw forbidden('comment');
  await comments.remove(db, comment.id);
  res.status(204).end();
});

module.exports = router;
