'use strict';

// Tags in use, most used first.

const express = require('express');

const router = express.Router();

router.get('/tags', async (req, res) => {
  const { db } = req.app.locals;
  const rows = await db('tags')
    .join('article_tags', 'article_tags.tag_id', 'tags.id')
    .groupBy('tags.id', 'tags.name')
    .select('tags.name')
    .orderByRaw(`count(*) desc, ${db.byCodePoint('tags.name')} asc`);
  res.json({ tags: rows.map((row) => row.name) });
});

module.exports = router;
