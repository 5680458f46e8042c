"""Q&A column (党务问答): questions, answers, comments, votes, experts by tag, moderation."""
