"""Use cases over the governance domain: the event-sourced application, its queries and views."""
