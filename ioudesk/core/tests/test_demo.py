from ioudesk.core.demo import STAFF, load_demo_data
from ioudesk.core.models import Branch, User


def test_demo_data_is_complete_and_idempotent(organisation):
    load_demo_data()
    load_demo_data()

    assert User.objects.filter(username__in=[s[0] for s in STAFF]).count() == len(STAFF)
    assert Branch.objects.get(code="BJ01").path == f"/{Branch.objects.get(code='HQ').pk}/{Branch.objects.get(code='BJ').pk}/{Branch.objects.get(code='BJ01').pk}/"
    collector = User.objects.get(username="zhaolei")
    assert list(collector.groups.values_list("name", flat=True)) == ["催收员"]


def test_demo_customers_pass_every_check(organisation):
    from ioudesk.customers.demo import COMPANIES, PEOPLE
    from ioudesk.customers.models import Customer

    load_demo_data()
    load_demo_data()

    from ioudesk.applications.models import Application

    # the customers of the customer demo, plus one per demo application approved for a new applicant
    demo_names = {row[0] for row in PEOPLE} | {row[0] for row in COMPANIES}
    assert Customer.objects.filter(name__in=demo_names).count() == len(PEOPLE) + len(COMPANIES)
    from_applications = set(Application.objects.exclude(customer=None).values_list("customer__name", flat=True))
    assert Customer.objects.count() == len(demo_names | from_applications)
    assert Customer.objects.get(name="曾小贤").name_initials == "zxx"
    assert Customer.objects.filter(category="blacklist").count() == 1
