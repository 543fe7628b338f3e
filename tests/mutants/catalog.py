"""The mutants: one plausible migration bug each, declared as data (a one-place text change).

Each mutant names the file (relative to the repository), the exact text that must occur in it
exactly once, its replacement, its class, and where a correct verdict reports it: the route
templates (``fnmatch`` patterns, e.g. ``OPTIONS *``) and the field paths (a stored path matches
when it equals one of them or continues it: ``body.articles`` covers
``body.articles[*].slug``). Paths under ``effects.`` and ``latency`` are what issue 12 asks the
comparator to report (row changes of a write, the candidate's latency); until it does, those
mutants are missed, which is the point of listing them.
"""

from __future__ import annotations

from dataclasses import dataclass

CLASSES = (
    "serialisation types", "timestamps/formats", "counts and paging", "ordering", "filters",
    "defaults", "statuses", "messages", "headers", "CORS and preflights", "unicode", "tokens",
    "dry-run leaks", "writes on reads", "lost writes", "slowness", "errors on one input",
)


@dataclass(frozen=True)
class Mutant:
    name: str
    mutant_class: str
    file: str
    old: str
    new: str
    routes: tuple[str, ...]
    paths: tuple[str, ...]
    why: str = ""

    def __post_init__(self) -> None:
        if self.mutant_class not in CLASSES:
            raise ValueError(f"{self.name}: unknown class {self.mutant_class!r}")
        if self.old == self.new:
            raise ValueError(f"{self.name}: the change changes nothing")


SER = "backend/serializers.py"
VIEWS = "backend/services/article_views.py"
ARTICLES = "backend/services/articles.py"
COMMENTS = "backend/services/comments.py"
PROFILES = "backend/services/profiles.py"
USERS = "backend/services/users.py"
HEADERS = "backend/headers.py"
API_ARTICLES = "backend/api/articles.py"
API_USERS = "backend/api/users.py"
API_COMMENTS = "backend/api/comments.py"
ORDER = ".order_by(Article.created_at.desc(), Article.id.desc())"
LOGIN_ANSWER = "return json_response(serializers.user(user, tokens.issue(user.id, user.username)))"
CREATE_ANSWER = (
    "return json_response(serializers.article(article_views.view(g.user, article)), 201)")
# Findings without a path: the outcome itself is the report.
CANDIDATE_ERROR = "<candidate_error>"
ESCAPED_WRITE = "<escaped_write>"  # a dry-run or mirrored read that wrote past its rollback
# A CORS preflight is compared under the route of the method it asks about (docs/routes.md).
PREFLIGHTED = ("PUT *", "POST *", "DELETE *")
LIST_ROUTES = ("GET /api/articles", "GET /api/articles/feed")
READ_ARTICLE = ("GET /api/articles/:slug", "GET /api/articles")

MUTANTS: tuple[Mutant, ...] = (
    # serialisation types
    Mutant("favorites-count-string", "serialisation types", SER,
           "favoritesCount=view.favorites_count,", "favoritesCount=str(view.favorites_count),",
           READ_ARTICLE, ("body.article.favoritesCount", "body.articles[*].favoritesCount")),
    Mutant("comment-id-string", "serialisation types", SER,
           '"id": item.id,', '"id": str(item.id),',
           ("GET /api/articles/:slug/comments",), ("body.comments[*].id",)),
    Mutant("following-null", "serialisation types", SER,
           '"following": following,', '"following": following or None,',
           ("GET /api/profiles/:username",), ("body.profile.following",)),
    Mutant("favorited-int", "serialisation types", VIEWS,
           "favorited=bool(favorited),", "favorited=int(bool(favorited)),",
           READ_ARTICLE, ("body.article.favorited", "body.articles[*].favorited")),
    # timestamps and formats
    Mutant("timestamps-without-millis", "timestamps/formats", SER,
           'return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"',
           'return value.strftime("%Y-%m-%dT%H:%M:%SZ")',
           READ_ARTICLE, ("body.article.createdAt", "body.articles[*].createdAt")),
    Mutant("created-article-isoformat", "timestamps/formats", API_ARTICLES, CREATE_ANSWER,
           "return json_response({\"article\": {**serializers.article_fields(article_views.view("
           "g.user, article)), \"createdAt\": article.created_at.isoformat()}}, 201)",
           ("POST /api/articles",), ("body.article.createdAt",),
           "a timestamp in a new format where the route ignores createdAt"),
    Mutant("comment-updated-at-isoformat", "timestamps/formats", SER,
           '"updatedAt": timestamp(item.updated_at),', '"updatedAt": item.updated_at.isoformat(),',
           ("GET /api/articles/:slug/comments",), ("body.comments[*].updatedAt",)),
    # counts and paging
    Mutant("articles-count-plus-one", "counts and paging", SER,
           '"articlesCount": count,', '"articlesCount": count + 1,',
           LIST_ROUTES, ("body.articlesCount",)),
    Mutant("page-shifted-by-one", "counts and paging", VIEWS,
           ".offset(offset),", ".offset(offset + 1),", LIST_ROUTES, ("body.articles",)),
    Mutant("count-ignores-filters", "counts and paging", VIEWS,
           "sa.select(sa.func.count(Article.id)).where(*conditions)",
           "sa.select(sa.func.count(Article.id))", ("GET /api/articles",), ("body.articlesCount",)),
    Mutant("default-limit-10", "defaults", API_ARTICLES,
           '"limit": (1, 100, 20)', '"limit": (1, 100, 10)', ("GET /api/articles",),
           ("body.articles",)),
    # ordering
    Mutant("articles-oldest-first", "ordering", VIEWS,
           ORDER, ".order_by(Article.created_at.asc(), Article.id.asc())",
           LIST_ROUTES, ("body.articles",)),
    Mutant("article-ties-by-id-ascending", "ordering", VIEWS,
           ORDER, ".order_by(Article.created_at.desc(), Article.id.asc())",
           LIST_ROUTES, ("body.articles",), "only articles created in the same millisecond"),
    Mutant("tag-list-reversed", "ordering", VIEWS,
           "names.sort()  # legacy", "names.sort(reverse=True)  # legacy",
           READ_ARTICLE + ("PUT /api/articles/:slug", "POST /api/articles"),
           ("body.article.tagList", "body.articles[*].tagList")),
    Mutant("comments-oldest-first", "ordering", COMMENTS,
           ".order_by(Comment.created_at.desc(), Comment.id.desc())",
           ".order_by(Comment.created_at.asc(), Comment.id.asc())",
           ("GET /api/articles/:slug/comments",), ("body.comments",)),
    Mutant("popular-tags-ties-case-folded", "ordering", "backend/services/tags.py",
           "key=lambda row: (-row[1], row[0])", "key=lambda row: (-row[1], row[0].lower())",
           ("GET /api/tags",), ("body.tags",)),
    # filters
    Mutant("tag-filter-ignored", "filters", VIEWS,
           "if filters.tag:", "if filters.tag and False:",
           ("GET /api/articles",), ("body.articles", "body.articlesCount")),
    Mutant("author-filter-case-insensitive", "filters", VIEWS,
           ".where(User.username == filters.author)",
           ".where(sa.func.lower(User.username) == sa.func.lower(filters.author))",
           ("GET /api/articles",), ("body.articles", "body.articlesCount")),
    Mutant("favorited-filter-negated", "filters", VIEWS,
           ".where(User.username == filters.favorited)",
           ".where(User.username != filters.favorited)",
           ("GET /api/articles",), ("body.articles", "body.articlesCount")),
    Mutant("feed-includes-own-articles", "filters", VIEWS,
           "[Article.author_id.in_(followed)]",
           "[sa.or_(Article.author_id.in_(followed), Article.author_id == viewer.id)]",
           ("GET /api/articles/feed",), ("body.articles", "body.articlesCount")),
    # defaults
    Mutant("bio-empty-string", "defaults", SER,
           '            "bio": account.bio,', '            "bio": account.bio or "",',
           ("GET /api/user", "POST /api/users/login", "POST /api/users", "PUT /api/user"),
           ("body.user.bio",)),
    Mutant("image-default-url", "defaults", USERS,
           "image=None,", 'image="https://static.productionready.io/images/smiley-cyrus.jpg",',
           ("POST /api/users",), ("body.user.image",)),
    # statuses
    Mutant("create-article-200", "statuses", API_ARTICLES,
           CREATE_ANSWER, CREATE_ANSWER.replace(", 201)", ", 200)"),
           ("POST /api/articles",), ("status",)),
    Mutant("delete-comment-200", "statuses", API_COMMENTS,
           "comments.delete(g.user, slug, comment_id)\n    return Response(status=204)",
           "comments.delete(g.user, slug, comment_id)\n    return Response(status=200)",
           ("DELETE /api/articles/:slug/comments/:id",), ("status",)),
    Mutant("foreign-comment-404", "statuses", COMMENTS,
           'raise Forbidden("comment", "forbidden")', 'raise NotFound("comment", "forbidden")',
           ("DELETE /api/articles/:slug/comments/:id",), ("status",)),
    # messages
    Mutant("profile-not-found-message", "messages", PROFILES,
           'raise NotFound("profile", "not found")', 'raise NotFound("profile", "does not exist")',
           ("GET /api/profiles/:username",), ("body.errors.profile",)),
    Mutant("login-failure-message", "messages", USERS,
           'raise Unauthorized("email or password", "is invalid")',
           'raise Unauthorized("email or password", "is incorrect")',
           ("POST /api/users/login",), ("body.errors",)),
    Mutant("follow-self-message", "messages", PROFILES,
           '"cannot follow yourself"', '"can\'t follow yourself"',
           ("POST /api/profiles/:username/follow",), ("body.errors.profile",)),
    # headers
    Mutant("set-cookie-on-login", "headers", API_USERS, LOGIN_ANSWER,
           "response = json_response(serializers.user(user, tokens.issue(user.id, "
           "user.username)))\n    response.set_cookie(\"session\", str(user.id))\n"
           "    return response",
           ("POST /api/users/login",), ("headers.set-cookie",)),
    Mutant("etag-md5", "headers", HEADERS,
           "hashlib.sha1(body)", "hashlib.md5(body)",
           ("GET *",), ("headers.etag",), "a conditional GET turns from 304 into 200"),
    Mutant("etag-strong", "headers", HEADERS,
           "return f'W/\"{len(body):x}-{digest}\"'", "return f'\"{len(body):x}-{digest}\"'",
           ("GET *",), ("headers.etag",)),
    Mutant("x-powered-by-flask", "headers", HEADERS,
           'response.headers["X-Powered-By"] = "Express"',
           'response.headers["X-Powered-By"] = "Flask"', ("*",), ("headers.x-powered-by",)),
    # CORS and preflights
    Mutant("preflight-methods-without-patch", "CORS and preflights", HEADERS,
           'ALLOWED_METHODS = "GET,HEAD,PUT,PATCH,POST,DELETE"',
           'ALLOWED_METHODS = "GET,HEAD,PUT,POST,DELETE"',
           PREFLIGHTED, ("headers.access-control-allow-methods",)),
    Mutant("preflight-allow-headers-fixed", "CORS and preflights", HEADERS,
           'response.headers["Access-Control-Allow-Headers"] = requested',
           'response.headers["Access-Control-Allow-Headers"] = "Content-Type"',
           PREFLIGHTED, ("headers.access-control-allow-headers",)),
    Mutant("cors-origin-fixed", "CORS and preflights", HEADERS,
           'response.headers["Access-Control-Allow-Origin"] = "*"',
           'response.headers["Access-Control-Allow-Origin"] = "http://localhost:4100"',
           ("*",), ("headers.access-control-allow-origin",)),
    # unicode
    Mutant("title-stored-nfd", "unicode", ARTICLES,
           'title=fields["title"],', 'title=__import__("unicodedata").normalize("NFD", '
           'fields["title"]),', ("POST /api/articles",), ("body.article.title",),
           "prints identically to the NFC title"),
    Mutant("comment-zero-width-stripped", "unicode", COMMENTS,
           'body=fields["body"], article_id', 'body=fields["body"].replace("\\u200b", ""), '
           "article_id", ("POST /api/articles/:slug/comments",), ("body.comment.body",)),
    Mutant("tags-lower-cased", "unicode", ARTICLES,
           "name = validation.js_trim(raw)", "name = validation.js_trim(raw).lower()",
           ("POST /api/articles",), ("body.article.tagList",)),
    # tokens
    Mutant("login-token-null", "tokens", API_USERS, LOGIN_ANSWER,
           "return json_response(serializers.user(user, None))",
           ("POST /api/users/login",), ("body.user.token",)),
    Mutant("sub-claim-integer", "tokens", "backend/tokens.py",
           '"sub": str(user_id),', '"sub": user_id,',
           ("POST /api/users/login", "POST /api/users"), ("body.user.token",)),
    # dry-run leaks
    Mutant("comment-escapes-dry-run", "dry-run leaks", COMMENTS,
           "    db.session.add(comment)\n    db.session.commit()\n",
           "    db.session.add(comment)\n    db.session.commit()\n"
           "    with db.engine.begin() as leak:\n"
           "        leak.execute(sa.insert(Comment).values(body=fields[\"body\"], "
           "article_id=article.id, author_id=user.id, created_at=now, updated_at=now))\n",
           ("POST /api/articles/:slug/comments",), ("effects.comments", ESCAPED_WRITE),
           "every comment doubled for real users"),
    Mutant("favorite-escapes-dry-run", "dry-run leaks", ARTICLES,
           "db.session.add(Favorite(user_id=user.id, article_id=article.id))",
           "with db.engine.begin() as leak:\n"
           "            leak.execute(sa.insert(Favorite).values(user_id=user.id, "
           "article_id=article.id))",
           ("POST /api/articles/:slug/favorite",), ("effects.favorites", ESCAPED_WRITE)),
    # writes on reads
    Mutant("article-read-rewrites-row", "writes on reads", VIEWS,
           '        raise NotFound("article", "not found")\n    return views(rows)[0]',
           '        raise NotFound("article", "not found")\n'
           "    db.session.execute(sa.update(Article).where(Article.slug == slug)"
           ".values(description=Article.description + \".\"))\n    return views(rows)[0]",
           ("GET /api/articles/:slug",), ("effects.articles", CANDIDATE_ERROR),
           "legacy's data altered on every read"),
    Mutant("comments-read-touch-rows", "writes on reads", COMMENTS,
           "    ).all()\n    return [CommentView(",
           "    ).all()\n    db.session.execute(sa.update(Comment).where(Comment.article_id =="
           " article.id).values(body=Comment.body))\n    return [CommentView(",
           ("GET /api/articles/:slug/comments",), ("effects.comments", CANDIDATE_ERROR),
           "rewrites every comment it lists with the same values"),
    # lost writes
    Mutant("article-update-never-committed", "lost writes", ARTICLES,
           "    article.updated_at = utcnow()\n    db.session.commit()",
           "    article.updated_at = utcnow()\n    db.session.flush()",
           ("PUT /api/articles/:slug",), ("effects.articles",)),
    Mutant("unfollow-never-committed", "lost writes", PROFILES,
           "Follow.followed_id == user.id)\n    )\n    db.session.commit()",
           "Follow.followed_id == user.id)\n    )\n    db.session.flush()",
           ("DELETE /api/profiles/:username/follow",), ("effects.follows",)),
    # wrong or missing rows behind a right answer (the answer is built from the request or
    # the in-memory object, so only the effects comparison can see them)
    Mutant("comment-stored-with-articles-author", "lost writes", COMMENTS,
           "article_id=article.id, author_id=user.id, created_at=now,",
           "article_id=article.id, author_id=article.author_id, created_at=now,",
           ("POST /api/articles/:slug/comments",), ("effects.comments",),
           "the answer names the commenter, the row the article's author"),
    Mutant("password-stored-in-clear", "lost writes", USERS,
           "password_hash=hash_password(password),", "password_hash=password,",
           ("POST /api/users",), ("effects.users",), "registration stores the password itself"),
    Mutant("extra-tag-row", "lost writes", ARTICLES,
           'insert.values([{"name": name} for name in names])',
           'insert.values([{"name": name} for name in [*names, "extra"]])',
           ("POST /api/articles", "PUT /api/articles/:slug"), ("effects.tags",),
           "an unused tag row on every tagged article"),
    Mutant("favorite-row-missing", "lost writes", ARTICLES,
           "        db.session.add(Favorite(user_id=user.id, article_id=article.id))\n",
           "        pass\n",
           ("POST /api/articles/:slug/favorite",),
           ("effects.favorites", "body.article.favorited", "body.article.favoritesCount")),
    # slowness
    Mutant("list-sleeps-per-article", "slowness", VIEWS,
           "    return views(rows), count",
           "    __import__(\"time\").sleep(0.01 * len(rows))\n    return views(rows), count",
           LIST_ROUTES, ("latency",), "a list about 3x slower"),
    Mutant("list-n-plus-one", "slowness", VIEWS,
           "    return views(rows), count",
           "    return [views([row])[0] for row in rows], count",
           LIST_ROUTES, ("latency",), "one tag query per article"),
    # errors on one input
    Mutant("non-ascii-tag-filter-500", "errors on one input", API_ARTICLES,
           "chosen[name] = value", 'chosen[name] = value.encode("ascii").decode()',
           ("GET /api/articles",), ("status",)),
    Mutant("long-comment-500", "errors on one input", COMMENTS,
           '    message = validation.required_text(fields.get("body", MISSING))',
           '    message = validation.required_text(fields.get("body", MISSING))\n'
           '    assert len(str(fields.get("body"))) < 1000, "comment too long"',
           ("POST /api/articles/:slug/comments",), ("status",)),
)

BY_NAME = {mutant.name: mutant for mutant in MUTANTS}
if len(BY_NAME) != len(MUTANTS):
    raise ValueError("two mutants share a name")
