"""The widgets the pages share (Streamlit, no SQL): sign-in and the signed-in user, the
filter form, the row actions, dialogs, the Settings tabs."""
