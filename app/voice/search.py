"""Survey titles and public suggestions (with their replies) as search documents, under the same
masks as their pages: a survey for the subtree it asks, a public suggestion for the subtree it was
addressed to once it has its reply; nothing else is indexed."""

from flask_babel import lazy_gettext as _l

from app.core.urls import site_path
from app.voice.interviews import transcript_text
from app.voice.models import Interview, Suggestion, Survey
from app.voice.suggestions import PUBLIC_STATES
from search_index import Adapter, SearchDocument, Visibility, register


def survey_document(survey: Survey) -> SearchDocument:
    # A survey of chosen members only has no subtree to show it to: not searchable.
    is_searchable = survey.is_published and survey.branch is not None
    visibility = Visibility.PUBLIC if is_searchable else Visibility.DRAFT
    return SearchDocument(
        type="survey",
        id=survey.id,
        title=survey.title,
        body="",  # titles only: a survey's questions are for those asked
        url=site_path("voice_surveys.answer", survey_id=survey.id),
        updated_at=survey.updated_at,
        scope=survey.branch.path if survey.branch else None,
        visibility=visibility,
    )


def suggestion_document(suggestion: Suggestion) -> SearchDocument:
    is_public = suggestion.is_public and suggestion.status in PUBLIC_STATES
    return SearchDocument(
        type="suggestion",
        id=suggestion.id,
        title=suggestion.title,
        body=f"{suggestion.body}\n\n{suggestion.reply}",
        url=site_path("voice_suggestions.detail", suggestion_id=suggestion.id),
        updated_at=suggestion.updated_at,
        scope=suggestion.branch.path,
        visibility=Visibility.PUBLIC if is_public else Visibility.HIDDEN,
    )


def interview_document(interview: Interview) -> SearchDocument:
    """An interview is searchable once its transcript is published: the questions and answers."""
    is_published = interview.transcript_published_at is not None
    return SearchDocument(
        type="interview",
        id=interview.id,
        title=interview.title,
        body=f"{interview.description}\n\n{transcript_text(interview)}" if is_published else "",
        url=site_path("voice_interviews.detail", interview_id=interview.id),
        updated_at=interview.updated_at,
        visibility=Visibility.PUBLIC if is_published else Visibility.DRAFT,
    )


def register_search() -> None:
    register(
        Adapter(type="survey", label=_l("党员调查"), model=Survey, to_document=survey_document, order=60)
    )
    register(
        Adapter(
            type="suggestion",
            label=_l("合理建议"),
            model=Suggestion,
            to_document=suggestion_document,
            order=61,
        )
    )
    register(
        Adapter(
            type="interview", label=_l("在线访谈"), model=Interview, to_document=interview_document, order=62
        )
    )
