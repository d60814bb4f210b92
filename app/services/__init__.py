"""The domain: state changes and the queries several views share, over a Session."""
