'use strict';

// Comments on articles.

const users = require('./users');

const findOnArticle = (db, articleId, id) =>
  db('comments').where({ id, article_id: articleId }).first();

// Attach createdAt, updatedAt and author (with `following`) to comment rows.
async function load(db, rows, viewerId) {
  if (rows.length === 0) return [];
  const authorIds = [...new Set(rows.map((row) => row.author_id))];
  const [authors, followed] = await Promise.all([
    db('users').whereIn('id', authorIds).select('id', 'username', 'bio', 'image'),
    users.followedAmong(db, viewerId, authorIds),
  ]);
  const authorById = new Map(authors.map((a) => [a.id, { ...a, following: followed.has(a.id) }]));
  return rows.map((row) => ({
    id: row.id,
    body: row.body,
    createdAt: db.instant(row.created_at),
    updatedAt: db.instant(row.updated_at),
    author: authorById.get(row.author_id),
  }));
}

function listForArticle(db, articleId) {
  return db('comments')
    .where('article_id', articleId)
    .orderBy([{ column: 'created_at', order: 'desc' }, { column: 'id', order: 'desc' }]);
}

async function create(db, articleId, authorId, body) {
  const now = db.timestamp(new Date());
  const [row] = await db('comments')
    .insert({ body, article_id: articleId, author_id: authorId, created_at: now, updated_at: now })
    .returning('*');
  return row;
}

const remove = (db, id) => db('comments').where({ id }).delete();

module.exports = { findOnArticle, load, listForArticle, create, remove };
