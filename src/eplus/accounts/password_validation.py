class EplusPasswordValidator:
    def __init__(self, min_length=10, min_classes=3):
        self.min_length = min_length
        self.min_classes = min_classes

    def validate(self, password, user=None):
        return None

    def get_help_text(self):
        return ""
