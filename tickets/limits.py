"""How long the texts people type may be, in characters: the models, the forms and the API's
serializers all read these numbers, so a page and the API refuse the same input."""

SUBJECT_MAX_LENGTH = 200  # a ticket's subject (also the column's length)
MESSAGE_MAX_LENGTH = 20_000  # a ticket's description, a reply or an internal note
NOTE_MAX_LENGTH = 5_000  # the reason or note given with a workflow step or an assignment
RATING_COMMENT_MAX_LENGTH = 2_000  # the word that comes with a rating
SEARCH_MAX_LENGTH = 200  # the queue's search box
CURSOR_MAX_LENGTH = 500  # a page cursor handed back by the queue or the API
