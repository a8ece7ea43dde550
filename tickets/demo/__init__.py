"""Demo data for `manage.py seed_demo`: a believable help desk, invented and written in bulk.

    python manage.py seed_demo                    # 300 tickets
    python manage.py seed_demo --tickets 100000   # a big queue, in a few minutes
    python manage.py seed_demo --if-empty         # only when there are no tickets yet

Every ticket gets a life story that the workflow could have written: its status history is
a walk through `tickets.workflow.RULES` (each change made by someone the rule grants it to,
with a note where the rule asks for a reason), its conversation is interleaved with that
history, and its denormalised fields (assignee, resolved_at, closed_at, first_response_at,
updated_at, version) agree with both.

Everything is computed in memory first and written in batches, one transaction each: the
services would be far too slow for a million tickets, and Ticket.save() refuses new tickets
that are not open. On PostgreSQL, worker processes plan and encode the batches while the main
process loads them with COPY (a million tickets in minutes); elsewhere bulk_create writes
them. No notifications are written and no mail is sent.

    python manage.py seed_demo --tickets 1000000 --agents 300 --comments 3-10   # bench data

The modules, in the order a ticket passes through them:

- content: the words (names, services and their problems, what people write);
- people: the demo logins and the services as rows;
- plans: a ticket's life in memory (Change, Message, TicketPlan);
- story: its status history, walked along workflow.RULES;
- conversation: its messages, placed in that history;
- rows: the Ticket, StatusHistory and Comment rows, the ticket's fields replayed through
  workflow.apply_effects;
- loading: writing batches (bulk_create, or COPY from worker processes on PostgreSQL).
"""
