"""The engine: pjsua2 B2BUA, queues, prompts and recordings. Importing this package loads no pjsua2."""
