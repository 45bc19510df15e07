"""Background work: jobs the webhooks and doc_events enqueue, and the scheduler entry points."""
