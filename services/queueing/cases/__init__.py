"""Cases the citizen can follow (issue 16, item 6; docs/cases.md): queueing keeps each case's
status and history from `CaseCreated`, operators add notes and close cases, and the citizen
follows a case with its reference and secret and adds information, which becomes a contact in
the case's region's queue."""
