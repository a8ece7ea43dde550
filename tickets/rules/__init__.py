"""Rules managers write without code: triggers (tickets.rules.triggers), run when a ticket is
created or updated, and automations (tickets.rules.automations), run over time by beat.

Both read a small fixed vocabulary of conditions (conditions.py) and do a small fixed set of
actions (actions.py), each through the services and the workflow as the system (actor None),
naming the rule in what they record ("trigger:4", "automation:2").
"""
