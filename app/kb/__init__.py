"""Knowledge-base column (知识百科 / 党课文章): Markdown articles, categories, tags, revisions, review."""
