'use strict';

// JSON shapes of the API, keys in the contract's order.

const userView = (user, token) => ({
  user: { email: user.email, token, username: user.username, bio: user.bio, image: user.image },
});

const profile = (user, following) => ({
  username: user.username,
  bio: user.bio,
  image: user.image,
  following,
});

// `article` is a loaded article (see store/articles.load).
function article(item, { withBody = true } = {}) {
  const view = { slug: item.slug, title: item.title, description: item.description };
  if (withBody) view.body = item.body;
  Object.assign(view, {
    tagList: item.tagList,
    createdAt: item.createdAt.toISOString(),
    updatedAt: item.updatedAt.toISOString(),
    favorited: item.favorited,
    favoritesCount: item.favoritesCount,
    author: profile(item.author, item.author.following),
  });
  return view;
}

const comment = (item) => ({
  id: item.id,
  createdAt: item.createdAt.toISOString(),
  updatedAt: item.updatedAt.toISOString(),
  body: item.body,
  author: profile(item.author, item.author.following),
});

module.exports = { userView, profile, article, comment };
